"""Claims, merges and forwards: ids that replay identically, and a claim's effects here."""

from __future__ import annotations

import orjson

from leadpulse.kernel.messages import Claim, Merge, Snapshot, message_of
from leadpulse.kernel.wire import Envelope, read_envelope
from scorer.core.effects import DropIdentity, Forward, Outbound, Publish, RemoveLead
from scorer.core.identity import claim_message, forget_message, merge_message, stable_id
from scorer.core.merge import load_snapshot
from scorer.core.state import LeadState
from scorer.core.steps import Step
from scorer.core.timeline import entries
from scorer.handlers.claim import on_claim
from scorer.storage.effects import apply_effects
from scorer.storage.view import PartitionView
from scorer.storage.writes import WriteSet
from tests.unit.scorer.effects import t, view

SURVIVOR = "email:ann@initech.example"


def _claim(claimed: str = "anon:b1", trigger: str = "evt-1") -> Outbound:
    return claim_message(claimed, SURVIVOR, "ld_ann", "lead", t(0), trigger)


def _deliver(message: Outbound) -> tuple[Envelope, Claim]:
    event = read_envelope(message.value)
    claim = message_of(event)
    assert isinstance(claim, Claim)
    return event, claim


def test_equal_inputs_give_equal_ids_and_any_difference_another() -> None:
    assert stable_id("claim", "anon:b1", "ld_1", "e1") == stable_id(
        "claim", "anon:b1", "ld_1", "e1"
    )
    assert stable_id("claim", "anon:b1", "ld_1", "e1") != stable_id(
        "claim", "anon:b1", "ld_1", "e2"
    )
    assert stable_id("claim", "x") != stable_id("merge", "x")


def test_ids_from_parts_that_hold_a_separator_do_not_collide() -> None:
    """Event ids and anonymous ids are the client's: one that holds `|` must not take the
    id of another message (its receiver's dedupe would drop that one)."""
    assert stable_id("fwd", "e1|email:a@x.example", "anon:b") != stable_id(
        "fwd", "e1", "email:a@x.example|anon:b"
    )
    assert stable_id("claim", "anon:a|ld_1", "e1") != stable_id("claim", "anon:a", "ld_1|e1")


def test_a_replayed_event_sends_the_same_claim_to_the_claimed_identity() -> None:
    """Same message id and bytes: the receiving partition's dedupe drops the copy."""
    first, again = _claim(), _claim()
    assert first == again
    assert first.key == "anon:b1" and first.topic == "events"
    assert _claim(trigger="evt-2").msg_id != first.msg_id


def test_a_merge_goes_to_the_survivor_with_an_id_from_its_claim() -> None:
    claim = _claim()
    merge = merge_message(claim.msg_id, SURVIVOR, t(1), _snapshot())
    assert merge.key == SURVIVOR
    assert merge == merge_message(claim.msg_id, SURVIVOR, t(1), _snapshot())
    assert (
        merge.msg_id
        != merge_message(_claim(trigger="evt-2").msg_id, SURVIVOR, t(1), _snapshot()).msg_id
    )


def test_a_forget_sent_on_is_the_same_for_the_same_parent() -> None:
    assert forget_message("anon:b1", "del-1", t(0)) == forget_message("anon:b1", "del-1", t(0))
    assert (
        forget_message("anon:b1", "del-1", t(0)).msg_id
        != forget_message("anon:b1", "del-2", t(0)).msg_id
    )
    assert forget_message("anon:b1", "del-1", t(0)).key == "anon:b1"


def _snapshot() -> Snapshot:
    return Snapshot(lead={"lead_id": "ld_a", "created": t(0)})


def _anonymous_lead_here() -> PartitionView:
    v = view()
    lead = LeadState("ld_a", t(0), keys=["anon:b1", "anon:b9"], stage_at=t(0))
    lead.history = [["visitor", t(0), "new", "p1"]]
    v.leads["ld_a"] = lead
    v.identities.update({"anon:b1": "ld_a", "anon:b9": "ld_a"})
    lead.steps = [Step(t(1), "p2", "pe", {}, shown=["page", None, "/p2"]).raw()]
    # p1: applied by an earlier version, which kept the timeline apart from the steps
    v.timelines["ld_a"] = [orjson.dumps({"at": t(0), "type": "page", "id": "p1"})]
    return v


def test_a_claimed_lead_is_handed_over_whole_and_its_identities_forwarded() -> None:
    v = _anonymous_lead_here()
    ws = WriteSet(v.pk)
    message = _claim()
    apply_effects(on_claim(v, *_deliver(message)), v, ws)
    assert v.forwards == {"anon:b1": SURVIVOR, "anon:b9": SURVIVOR}
    assert v.leads["ld_a"] is None and "anon:b1" not in v.identities
    (sent,) = v.outbound
    merge = message_of(read_envelope(sent.value))
    assert isinstance(merge, Merge) and sent.key == SURVIVOR
    handed = load_snapshot(merge.snapshot)
    assert handed.lead_id == "ld_a"
    assert [e["id"] for e in entries(handed.steps, merge.snapshot.timeline)] == ["p2", "p1"]
    assert sent.msg_id == merge_message(message.msg_id, SURVIVOR, t(0), merge.snapshot).msg_id


def test_the_first_claim_of_a_shared_browser_keeps_it() -> None:
    """A second person identifying on the same browser does not take its history."""
    v = _anonymous_lead_here()
    apply_effects(on_claim(v, *_deliver(_claim())), v, WriteSet(v.pk))
    before = (dict(v.forwards), list(v.outbound))
    other = claim_message("anon:b1", "email:bob@initech.example", "ld_bob", "lead", t(5), "e9")
    apply_effects(on_claim(v, *_deliver(other)), v, WriteSet(v.pk))
    assert (v.forwards, v.outbound) == before


def test_a_claim_of_an_identity_the_survivor_already_holds_here_changes_nothing() -> None:
    v = view()
    v.leads["ld_ann"] = LeadState("ld_ann", t(0), keys=[SURVIVOR, "anon:b1"])
    v.identities.update({SURVIVOR: "ld_ann", "anon:b1": "ld_ann"})
    apply_effects(on_claim(v, *_deliver(_claim())), v, WriteSet(v.pk))
    assert v.forwards == {} and v.outbound == [] and v.identities["anon:b1"] == "ld_ann"


def test_a_claim_of_an_identity_never_seen_here_forwards_its_later_events() -> None:
    v = view()
    apply_effects(on_claim(v, *_deliver(_claim())), v, WriteSet(v.pk))
    assert v.forwards == {"anon:b1": SURVIVOR} and v.outbound == []


def test_a_claim_is_decided_as_effects_and_nothing_changes_until_they_are_applied() -> None:
    """The handler reads the view and returns its decision; `apply_effects` alone writes."""
    v = _anonymous_lead_here()
    before = (dict(v.forwards), dict(v.identities), dict(v.leads), list(v.outbound))
    effects = on_claim(v, *_deliver(_claim()))
    assert (dict(v.forwards), dict(v.identities), dict(v.leads), list(v.outbound)) == before
    assert effects.items[:3] == (
        Forward("anon:b1", SURVIVOR),
        DropIdentity("anon:b1"),
        Forward("anon:b9", SURVIVOR),
    )
    assert [type(e) for e in effects.items[3:]] == [RemoveLead, Publish]
    ws = WriteSet(v.pk)
    apply_effects(effects, v, ws)
    assert v.forwards == {"anon:b1": SURVIVOR, "anon:b9": SURVIVOR} and v.leads["ld_a"] is None
