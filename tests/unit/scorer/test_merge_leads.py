"""`core.merge.merge_leads`: a merged-away lead folded into its survivor, from values alone."""

from __future__ import annotations

import orjson

from leadpulse.kernel.messages import Snapshot
from scorer.core.effects import KeepLead, MapIdentity
from scorer.core.merge import merge_leads
from scorer.core.state import LeadState
from scorer.core.steps import Entry
from scorer.core.timeline import entries
from tests.unit.scorer.effects import RULES, lead, step, t


def _visitor() -> LeadState:
    state = LeadState(lead_id="ld_anon", created=t(0), stage_at=t(0), keys=["anon:a1", "anon:a2"])
    state.stage = "visitor"
    state.history = [Entry("visitor", t(0), "new", "p0").raw()]
    state.steps = [list(step(t(0), "p0", "pe", 5.0)), list(step(t(2), "p2", "pe", 5.0))]
    state.topics = {"pricing": 2}
    state.traits = {"industry": "software", "title": "Analyst"}
    return state


def _survivor() -> LeadState:
    state = lead("ld_ann")
    state.stage = "lead"
    state.history = [Entry("lead", t(5), "new", "i5").raw()]
    state.steps = [list(step(t(5), "i5", "i"))]
    state.topics = {"pricing": 1}
    state.traits = {"title": "VP Marketing"}
    return state


def _snapshot(state: LeadState, *timeline: dict[str, object]) -> Snapshot:
    lines = tuple(orjson.dumps(entry).decode() for entry in timeline)
    return Snapshot(state=state.stored(), timeline=lines)


def test_a_snapshot_an_earlier_scorer_sent_as_json_merges_the_same() -> None:
    """Merges still on the topic from before carry the lead as JSON."""
    stored, legacy = _survivor(), _survivor()
    old = Snapshot(lead=orjson.loads(_visitor().dumps()))
    assert merge_leads(legacy, old, t(6), RULES, {}) == merge_leads(
        stored, _snapshot(_visitor()), t(6), RULES, {}
    )
    assert legacy == stored
    assert len(_snapshot(_visitor()).state or b"") < len(_visitor().dumps()) / 2


def test_the_survivor_takes_the_visitors_keys_steps_and_interests() -> None:
    survivor = _survivor()
    merged = _snapshot(_visitor())
    effects = merge_leads(survivor, merged, t(6), RULES, {"anon:a1": "ld_anon"}).items
    assert survivor.keys == ["email:ann@initech.example", "anon:a1", "anon:a2"]
    assert [s[1] for s in survivor.steps] == ["p0", "p2", "i5"]  # one walk, in event time
    assert survivor.topics == {"pricing": 3}
    # the survivor's own traits win; the visitor's fill the gaps
    assert survivor.traits == {"industry": "software", "title": "VP Marketing"}
    # only the identity not mapped on this partition yet is mapped here
    assert [e for e in effects if isinstance(e, MapIdentity)] == [MapIdentity("anon:a2", "ld_ann")]
    assert effects[-1] == KeepLead(survivor)


def test_the_visitors_timeline_joins_the_survivors_in_time_order() -> None:
    survivor = _survivor()
    survivor.steps = [step(t(5), "i5", "i")._replace(shown=["identify"]).raw()]
    visitor = _visitor()
    visitor.steps[1] = step(t(2), "p2", "pe", 5.0)._replace(shown=["page", None, "/b"]).raw()
    merge_leads(survivor, _snapshot(visitor), t(6), RULES, {})
    shown = [(e["id"], e.get("path")) for e in entries(survivor.steps)]
    assert shown == [("i5", None), ("p2", "/b")]  # newest first; p0 had no entry


def test_a_visitors_timeline_kept_apart_by_an_earlier_version_joins_its_steps() -> None:
    survivor = _survivor()
    merged = _snapshot(
        _visitor(),
        {"at": t(2), "type": "page", "id": "p2", "path": "/b"},
        {"at": t(0), "type": "page", "id": "p0", "path": "/a"},
        {"at": t(-9), "type": "page", "id": "gone", "path": "/x"},  # older than every step
    )
    merge_leads(survivor, merged, t(6), RULES, {})
    shown = [(e["id"], e.get("path")) for e in entries(survivor.steps)]
    assert shown == [("p2", "/b"), ("p0", "/a")]
