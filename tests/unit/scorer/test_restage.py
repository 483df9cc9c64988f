"""Walking a lead's stages again: stored stage, funnel counters and mql alerts follow the walk."""

from __future__ import annotations

import orjson

from leadpulse.kernel.schema import Alert, decode
from scorer.core.restage import restage
from scorer.core.stage_effects import legacy_mql_alert_id, mql_alert_id, sla_member
from scorer.core.stage_walk import entries_of
from scorer.core.state import LeadState
from scorer.core.steps import Entry
from scorer.storage.funnel import count_history
from scorer.storage.writes import WriteSet
from tests.unit.scorer.effects import RULES, applied, funnel, lead, step, t, view, zops

DAY1, DAY2 = "2026-03-02", "2026-03-03"
LATE = t(days=1)


def _mql_by_a_later_demo() -> LeadState:
    """A lead that became an mql on a demo a day in, holding an earlier demo it had not seen."""
    state = lead()
    state.stage, state.stage_at = "mql", LATE
    state.history = [
        Entry("lead", t(0), "new", "e0").raw(),
        Entry("mql", LATE, "fast_pass", "late").raw(),
    ]
    state.alerts = [["mql", mql_alert_id("lead", "late"), LATE]]
    state.sla_member = sla_member("ld_1", "mql", LATE)
    state.steps = [
        step(t(0), "e0").raw(),
        step(t(10), "early", "if", 50).raw(),
        step(LATE, "late", "if", 50).raw(),
    ]
    return state


def test_an_older_event_moves_the_entry_and_the_funnel_by_retraction() -> None:
    v, state = view(), _mql_by_a_later_demo()
    ws = WriteSet(v.pk)
    applied(v, ws, restage, state, RULES, [entries_of(state.history)])
    assert [(e[0], e[1], e[3]) for e in state.history] == [
        ("lead", t(0), "e0"),
        ("mql", t(10), "early"),
    ]
    assert (state.stage, state.stage_at) == ("mql", t(10))
    counts = funnel(ws)
    assert (counts[f"flow|{DAY2}|mql"], counts[f"flow|{DAY1}|mql"]) == (-1, 1)
    assert (counts[f"tr|{DAY2}|lead|mql"], counts[f"tr|{DAY1}|lead|mql"]) == (-1, 1)
    assert f"flow|{DAY1}|lead" not in counts


def test_the_mql_alert_follows_the_walk() -> None:
    """The alert of an mql entry the walk no longer has leaves the lead; the new one is raised."""
    v, state = view(), _mql_by_a_later_demo()
    applied(v, WriteSet(v.pk), restage, state, RULES, [entries_of(state.history)])
    (message,) = v.outbound
    alert = decode(Alert, message.value)
    assert alert.trigger_event_id == "early" and alert.occurred_at.timestamp() == t(10)
    assert state.alerts == [["mql", mql_alert_id("lead", "early"), t(10)]]


def test_the_sla_timer_and_the_activity_follow_the_new_stay() -> None:
    v, state = view(), _mql_by_a_later_demo()
    ws = WriteSet(v.pk)
    applied(v, ws, restage, state, RULES, [entries_of(state.history)])
    assert zops(ws, v.pk.sla) == [
        ["zrem", sla_member("ld_1", "mql", LATE)],
        ["zadd", repr(t(10) + 24 * 3600), sla_member("ld_1", "mql", t(10))],
    ]
    keys, ops = ws.ops()
    (push,) = [op for op in ops if op[0] == "lpush" and keys[int(op[1]) - 1] == v.pk.recent]
    assert [orjson.loads(x)["to"] for x in push[3:]] == ["mql"]


def test_a_walk_that_agrees_with_the_stored_history_changes_nothing_sales_see() -> None:
    v, state = view(), lead()
    state.stage, state.stage_at = "mql", t(10)
    state.history = [
        Entry("lead", t(0), "new", "e0").raw(),
        Entry("mql", t(10), "fast_pass", "d").raw(),
    ]
    state.alerts = [["mql", mql_alert_id("lead", "d"), t(10)]]
    state.steps = [step(t(0), "e0").raw(), step(t(10), "d", "if", 50).raw()]
    ws = WriteSet(v.pk)
    applied(v, ws, restage, state, RULES, [entries_of(state.history)])
    assert funnel(ws) == {} and v.outbound == [] and zops(ws, v.pk.sla) == []
    assert state.alerts == [["mql", mql_alert_id("lead", "d"), t(10)]]


def test_an_mql_alert_stored_under_its_former_id_is_not_sent_again() -> None:
    """States stored when lead alert ids named the lead keep their alert through a walk."""
    v, state = view(), lead()
    state.stage, state.stage_at = "mql", t(10)
    state.history = [
        Entry("lead", t(0), "new", "e0").raw(),
        Entry("mql", t(10), "fast_pass", "d").raw(),
    ]
    former = legacy_mql_alert_id(state.lead_id, "lead", "d")
    state.alerts = [["mql", former, t(10)]]
    state.steps = [step(t(0), "e0").raw(), step(t(10), "d", "if", 50).raw()]
    ws = WriteSet(v.pk)
    applied(v, ws, restage, state, RULES, [entries_of(state.history)])
    assert v.outbound == []
    assert state.alerts == [["mql", former, t(10)]]


def test_merged_histories_are_counted_once_as_the_walk_over_both_sides() -> None:
    """An anonymous visitor's history and the identified lead's become one history."""
    visitor = [Entry("visitor", t(0), "new", "p1")]
    known = [Entry("lead", t(5), "new", "id1")]
    state = lead()
    state.stage, state.stage_at = "lead", t(5)
    state.history = [e.raw() for e in known]
    state.steps = [step(t(0), "p1", "pe", 1).raw(), step(t(5), "id1").raw()]
    v = view()
    ws = WriteSet(v.pk)
    for history in (visitor, known):
        count_history(ws, v.pk, history, 1)  # what the two leads counted so far
    applied(v, ws, restage, state, RULES, [visitor, known])
    expected = WriteSet(v.pk)
    count_history(expected, v.pk, entries_of(state.history), 1)
    assert funnel(ws) == funnel(expected)
    assert [(e[0], e[2]) for e in state.history] == [("visitor", "new"), ("lead", "identified")]


def test_a_lead_with_nothing_to_walk_is_left_as_it_is() -> None:
    v, state = view(), lead()
    ws = WriteSet(v.pk)
    applied(v, ws, restage, state, RULES, [])
    assert state.stage == "visitor" and funnel(ws) == {} and ws.ops()[1] == []
