"""Merges only ever go to a stronger identity, so forwards never form a cycle: a login
with a user id on the partition the visitor's anonymous id shares with it, claimed late by
the email the visitor identified with before."""

from __future__ import annotations

from leadpulse.kernel.messages import Claim, decode
from leadpulse.kernel.wire import Envelope, read_envelope
from scorer.core.identity import outranks
from scorer.storage.view import PartitionView
from tests.unit.scorer.events import at, crm, identify, page
from tests.unit.scorer.test_merge_stages import Pair

EMAIL = "omar@stark-tools.example"
USER = "u-2897"


def _claim_for(view: PartitionView, claimed: str) -> Envelope:
    """Take the pending claim on `claimed` out of the view's outbox."""
    for message in view.outbound:
        if message.msg_id.startswith("claim:"):
            envelope = decode_event(message.value)
            claim = decode(envelope)
            if isinstance(claim, Claim) and claim.claimed == claimed:
                view.outbound.remove(message)
                return envelope
    raise AssertionError(f"no claim on {claimed}")


def decode_event(raw: bytes) -> Envelope:
    return read_envelope(raw)


def test_a_stronger_identity_outranks_and_the_order_is_total() -> None:
    assert outranks("user:u", ["email:e", "anon:a"])
    assert not outranks("email:e", ["user:u", "anon:a"])
    assert outranks("email:a", ["email:b"]) != outranks("email:b", ["email:a"])


def test_a_late_claim_by_a_weaker_identity_never_makes_a_forwarding_cycle() -> None:
    pair = Pair()  # `anon` holds the visitor's anonymous id and, by chance, the user id
    pair.apply(pair.anon, page(anon="a1", when=at(0)))
    pair.apply(pair.mail, identify(anon="a1", email=EMAIL, when=at(5)))
    late_claim = _claim_for(pair.mail, "anon:a1")  # held back: it arrives last
    pair.apply(pair.anon, identify(anon="a1", email=EMAIL, user=USER, when=at(60)))
    pair.apply(pair.mail, _claim_for(pair.anon, f"email:{EMAIL}"))
    pair.apply(pair.anon, pair.control(pair.mail, "merge:"))
    pair.apply(pair.anon, late_claim)
    for message in [m for m in pair.anon.outbound if m.msg_id.startswith("claim:")]:
        pair.anon.outbound.remove(message)  # the answer: the email is forwarded already
        pair.apply(pair.mail, decode_event(message.value))
    cycle = (
        pair.anon.forwards.get(f"user:{USER}") == f"email:{EMAIL}"
        and pair.mail.forwards.get(f"email:{EMAIL}") == f"user:{USER}"
    )
    assert not cycle
    assert pair.mail.forwards[f"email:{EMAIL}"] == f"user:{USER}"
    lead = pair.anon.leads[pair.anon.identities[f"user:{USER}"]]
    assert lead is not None and lead.email == EMAIL
    # A CRM outcome sent by email reaches that lead, once, through one forward.
    pair.apply(pair.mail, crm("accepted", email=EMAIL, when=at(0, days=1)))
    forwarded = pair.control(pair.mail, "fwd:")
    pair.apply(pair.anon, forwarded)
    assert not [m for m in pair.anon.outbound if m.msg_id.startswith("fwd:")]
    assert lead.stage == "sal"
