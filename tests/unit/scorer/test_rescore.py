"""Which messages a rescore replays: the events people sent, not what scorers derived."""

from __future__ import annotations

from leadpulse.kernel.messages import Stale
from leadpulse.kernel.wire import Envelope, read_envelope
from scorer.core.identity import claim_message, control_message
from scorer.runtime.rescore import _derived
from tests.unit.scorer.effects import t
from tests.unit.scorer.events import identify, page


def _control(value: bytes) -> Envelope:
    return read_envelope(value)


def test_an_event_a_person_sent_is_replayed_under_any_of_its_identities() -> None:
    event = identify(anon="b1", email="ann@initech.example", previous_id="anon:b0")
    for key in ("email:ann@initech.example", "anon:b1", "anon:b0"):
        assert not _derived(key, event)


def test_a_copy_forwarded_to_a_survivor_is_not_replayed() -> None:
    """The rebuilt partitions forward the original again when they reach it."""
    assert _derived("email:ann@initech.example", page(anon="b1"))


def test_a_scorers_own_message_is_not_replayed_but_a_stale_timer_is() -> None:
    """A claim follows from the rebuilt state; a stale SLA is a fact of time, kept."""
    claim = claim_message("anon:b1", "email:a@x.example", "ld_1", "lead", t(0), "e1")
    assert _derived(claim.key, _control(claim.value))
    stale = Stale(lead_id="ld_1", stage="sal", since=f"{t(0):.3f}")
    message = control_message("stale:x", "email:a@x.example", t(0), stale)
    assert not _derived(message.key, _control(message.value))


def test_an_unreadable_message_is_left_to_apply_as_unreadable() -> None:
    assert not _derived("anon:b1", None)
