"""An event forwarded to a survivor on the same partition: applied once, never dropped."""

from __future__ import annotations

from leadpulse.kernel.config import load_config
from leadpulse.kernel.wire import Envelope, read_envelope
from scorer.core.config import Rules
from scorer.handlers.dispatch import apply_message
from scorer.storage.keys import PartitionKeys
from scorer.storage.view import PartitionView
from scorer.storage.writes import WriteSet
from tests.unit.scorer.events import at, crm, identify

RULES = Rules.from_config(load_config().scoring)
EMAIL = "ann@merged.example"


def _apply(view: PartitionView, event: Envelope, ws: WriteSet | None = None) -> str:
    view.stored_offset += 1
    return apply_message(view, RULES, event.key, view.stored_offset, event, ws)[1]


def _deliver(view: PartitionView, prefix: str) -> list[Envelope]:
    """Take the events the view queued for itself whose ids start with `prefix`."""
    taken = [m for m in view.outbound if m.msg_id.startswith(prefix)]
    view.outbound = [m for m in view.outbound if m not in taken]
    return [read_envelope(m.value) for m in taken]


def _merged_view() -> PartitionView:
    """`email:ann@…` merged into `user:u-1`, both living on this one partition."""
    view = PartitionView(PartitionKeys(0), -1)
    _apply(view, identify(user="u-1", when=at(0)))
    _apply(view, identify(anon="anon-ann", email=EMAIL, when=at(1)))
    _apply(view, identify(user="u-1", email=EMAIL, when=at(2)))
    for kind in ("claim:", "merge:"):
        for event in _deliver(view, kind):
            assert _apply(view, event) == "control"
    assert view.forwards[f"email:{EMAIL}"] == "user:u-1"
    return view


def test_an_outcome_forwarded_within_its_partition_reaches_the_survivor_once() -> None:
    """The won by email is passed on, its copy applied to the user's lead; a second copy
    (published again) and the original again (sent twice) are duplicates."""
    view = _merged_view()
    won = crm("won", email=EMAIL, when=at(3), event_id="won-1")
    ws = WriteSet(view.pk)
    assert _apply(view, won, ws) == "forwarded"
    copy_id = next(m.msg_id for m in view.outbound if m.msg_id.startswith("fwd:"))
    [copy] = _deliver(view, "fwd:")
    assert copy.event_id == "won-1" and copy.key == f"email:{EMAIL}"
    view.stored_offset += 1
    _, outcome = apply_message(view, RULES, "user:u-1", view.stored_offset, copy, ws)
    assert outcome == "applied"
    # Seen once, in the run that applies it; the run passing it on remembers its forward.
    assert [event_id for _, event_id in ws.event_ids] == [copy_id, "won-1"]
    lead = view.leads[view.identities["user:u-1"]]
    assert lead is not None and lead.stage == "customer"
    view.stored_offset += 1
    again = apply_message(view, RULES, "user:u-1", view.stored_offset, copy)[1]
    assert again == "duplicate"
    assert _apply(view, won) == "duplicate"
    assert not _deliver(view, "fwd:")


def test_an_event_coming_back_to_a_partition_that_passed_it_on_stops_there() -> None:
    """Forwards that form a cycle (left by an older version) pass an event round once, then
    it stops, instead of travelling for ever."""
    view = _merged_view()
    view.forwards["user:u-1"] = f"email:{EMAIL}"  # the other half of a cycle
    won = crm("won", email=EMAIL, when=at(3), event_id="won-2")
    assert _apply(view, won) == "forwarded"
    [copy] = _deliver(view, "fwd:")
    view.stored_offset += 1
    outcome = apply_message(view, RULES, "user:u-1", view.stored_offset, copy)[1]
    assert outcome == "forwarded"  # on to the other side of the cycle
    [back] = _deliver(view, "fwd:")
    view.stored_offset += 1
    assert apply_message(view, RULES, f"email:{EMAIL}", view.stored_offset, back)[1] == "looped"
    assert not [m for m in view.outbound if m.msg_id.startswith("fwd:")]
