"""A lead's compact summary for lists and accounts, and what writing or removing a lead does."""

from __future__ import annotations

import orjson

from scorer.core.effects import Effects, KeepLead, LeaveAccount
from scorer.core.save import flush_leads, stored_summary, summary_of
from scorer.core.stage_effects import sla_member
from scorer.core.state import LeadState, ModelState
from scorer.read.list_walk import iso, summary_row
from scorer.storage.effects import apply_effects
from scorer.storage.lead_writes import remove_lead
from scorer.storage.writes import WriteSet
from tests.unit.scorer.effects import RULES, lead, t, view, zops


def _scored() -> LeadState:
    state = lead()
    state.account = "initech.example"
    state.models = {
        "default": ModelState(
            anchor=t(0),
            engagement={"pricing_page": [30.0, t(0)], "demo_requested": [50.0, t(1)]},
            fit={"senior_title": 20.0},
        )
    }
    state.topics = {"security": 2, "pricing": 5, "api": 2, "sso": 1}
    state.consideration = {"early": 4, "late": 1, "mid": 2}
    return state


def test_the_summary_holds_the_engagement_to_decay_on_read_and_the_fit() -> None:
    row = summary_of(_scored(), RULES)
    assert row["e"] == [80.0, t(0), 30]
    assert row["fit"] == 20.0


def test_the_summary_shows_the_furthest_consideration_and_the_most_read_topics_in_order() -> None:
    row = summary_of(_scored(), RULES)
    assert row["consideration"] == "late"
    assert row["interests"] == ["pricing", "api", "security"]


def test_a_listed_summary_is_shown_decayed_to_the_time_it_is_read() -> None:
    raw = stored_summary(summary_of(_scored(), RULES))
    assert summary_row("ld_1", raw, t(0))["score"] == 100.0
    assert summary_row("ld_1", raw, t(days=30))["engagement"] == 40.0
    assert summary_row("ld_1", raw, t(days=30))["score"] == 60.0


def test_a_lead_never_scored_has_a_zero_summary() -> None:
    row = summary_of(lead(), RULES)
    assert row["e"] == [0.0, t(0), 30] and row["fit"] == 0.0
    assert (row["consideration"], row["interests"]) == (None, [])


def test_a_changed_lead_is_written_once_at_the_end_of_its_run() -> None:
    v = view()
    state = _scored()
    ws = WriteSet(v.pk)
    apply_effects(Effects((KeepLead(state), KeepLead(state))), v, ws)
    assert ws.ops()[1] == [] and v.dirty == {"ld_1": state}
    apply_effects(flush_leads(v.dirty.values(), RULES), v, ws)
    keys, ops = ws.ops()
    written = {keys[int(op[1]) - 1] for op in ops if op[0] in ("set", "hset")}
    assert {v.pk.lead("ld_1"), v.pk.index, v.pk.account("initech.example")} <= written
    assert v.dirty == {}


def _account_writes(ws: WriteSet, account: str) -> list[list[str | int | float]]:
    keys, ops = ws.ops()
    return [op[:1] + op[2:] for op in ops if keys[int(op[1]) - 1] == account]


def test_a_lead_joins_its_accounts_people_once_and_again_after_leaving() -> None:
    """Saved twice under one account, the membership is written once; an event that moves
    the lead away and back within a run leaves it a member (the removal, then the write)."""
    v = view()
    state = _scored()
    members = v.pk.account("initech.example")
    ws = WriteSet(v.pk)
    apply_effects(flush_leads([state], RULES), v, ws)
    assert _account_writes(ws, members) == [["hset", "ld_1", "1"]]
    ws = WriteSet(v.pk)
    apply_effects(flush_leads([state], RULES), v, ws)
    assert _account_writes(ws, members) == []
    ws = WriteSet(v.pk)
    v.leads["ld_1"] = state
    apply_effects(Effects((LeaveAccount("initech.example", "ld_1"),)), v, ws)
    apply_effects(flush_leads([state], RULES), v, ws)
    assert _account_writes(ws, members) == [["hset", "ld_1", "1"]]


def test_removing_a_lead_deletes_everything_this_partition_keeps_of_it() -> None:
    v = view()
    state = _scored()
    state.sla_member = sla_member("ld_1", "mql", t(0))
    v.leads["ld_1"] = state
    v.identities = {"email:ann@initech.example": "ld_1", "anon:other": "ld_2"}
    ws = WriteSet(v.pk)
    remove_lead(ws, v, state)
    keys, ops = ws.ops()
    deleted = {keys[int(op[1]) - 1] for op in ops if op[0] == "del"}
    assert {v.pk.lead("ld_1"), v.pk.timeline("ld_1"), v.pk.score_history("ld_1")} <= deleted
    removed = {(keys[int(op[1]) - 1], field) for op in ops if op[0] == "hdel" for field in op[2:]}
    assert {(v.pk.index, "ld_1"), (v.pk.account("initech.example"), "ld_1")} <= removed
    assert (v.pk.identities, "email:ann@initech.example") in removed
    assert zops(ws, v.pk.sla) == [["zrem", state.sla_member]]
    assert v.leads["ld_1"] is None and v.identities == {"anon:other": "ld_2"}


def test_a_summary_is_stored_by_position_and_the_list_shows_every_field() -> None:
    """The list index keeps a summary's values without their names or the lead id (its
    hash field names the lead); the list shows each field, null where there is none."""
    state = lead()
    state.email = state.account = None
    raw = stored_summary(summary_of(state, RULES))
    assert b"stage" not in raw and b"ld_1" not in raw
    row = summary_row("ld_1", raw, t(0))
    assert list(row)[:6] == ["lead_id", "email", "stage", "stage_at", "account", "consideration"]
    assert (row["lead_id"], row["stage"]) == ("ld_1", state.stage)
    shown = (row["email"], row["account"], row["owner"], row["nurture_paused_until"])
    assert shown == (None, None, None, None)
    assert row["p_convert"] is None
    state.email, state.account, state.owner = "a@initech.example", "initech.example", "ann"
    state.paused_until = t(days=90)
    summary = summary_of(state, RULES) | {"p_convert": 0.4, "tier": 2}
    row = summary_row("ld_1", stored_summary(summary), t(0))
    assert (row["email"], row["account"], row["owner"]) == (state.email, state.account, "ann")
    assert row["nurture_paused_until"] == iso(t(days=90))
    assert (row["p_convert"], row["tier"]) == (0.4, 2)


def test_a_summary_stored_as_an_object_by_earlier_versions_still_reads() -> None:
    summary = summary_of(_scored(), RULES)
    old = {k: v for k, v in summary.items() if v is not None}
    assert summary_row("ld_1", orjson.dumps(old), t(0)) == summary_row(
        "ld_1", stored_summary(summary), t(0)
    )
