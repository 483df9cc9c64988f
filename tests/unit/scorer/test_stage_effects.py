"""What entering a stage does besides the stage: the SLA deadline, the activity feed, alerts."""

from __future__ import annotations

import orjson
import pytest

from leadpulse.kernel.schema import Alert, decode
from scorer.core.stage_effects import (
    mql_alert,
    mql_alert_id,
    push_activity,
    set_sla,
    sla_member,
)
from scorer.core.state import LeadState
from scorer.storage.view import RECENT_MAX, PartitionView
from scorer.storage.writes import WriteSet
from tests.unit.scorer.effects import DAY, RULES, applied, lead, t, view, zops


def _enter(state: LeadState, stage: str, at: float) -> WriteSet:
    v = view()
    ws = WriteSet(v.pk)
    state.stage, state.stage_at = stage, at
    applied(v, ws, set_sla, state, RULES, at)
    return ws


@pytest.mark.parametrize(
    ("stage", "allowed"),
    [("mql", 24 * 3600), ("sal", 14 * DAY), ("sql", 45 * DAY), ("opportunity", 120 * DAY)],
)
def test_a_stay_that_sales_owe_an_answer_is_timed_from_its_entry(
    stage: str, allowed: float
) -> None:
    state = lead()
    ws = _enter(state, stage, t(5))
    member = sla_member(state.lead_id, stage, t(5))
    assert zops(ws, view().pk.sla) == [["zadd", repr(t(5) + allowed), member]]
    assert state.sla_member == member


@pytest.mark.parametrize("stage", ["visitor", "lead", "nurturing", "recycle", "customer"])
def test_other_stages_have_no_deadline_and_drop_the_previous_one(stage: str) -> None:
    state = lead()
    _enter(state, "mql", t(0))
    old = state.sla_member
    ws = _enter(state, stage, t(5))
    assert zops(ws, view().pk.sla) == [["zrem", old]]
    assert state.sla_member is None


def test_a_new_stay_replaces_the_timer_of_the_last() -> None:
    state = lead()
    _enter(state, "mql", t(0))
    ws = _enter(state, "sal", t(60))
    new = sla_member(state.lead_id, "sal", t(60))
    assert zops(ws, view().pk.sla) == [
        ["zrem", sla_member(state.lead_id, "mql", t(0))],
        ["zadd", repr(t(60) + 14 * DAY), new],
    ]


def test_a_timer_names_the_exact_stay_so_a_later_stay_in_the_same_stage_is_another() -> None:
    assert sla_member("ld_1", "sal", t(0)) != sla_member("ld_1", "sal", t(0) + 0.01)
    assert sla_member("ld_1", "sal", t(0)) == sla_member("ld_1", "sal", t(0) + 0.0001)


def test_the_activity_feed_shows_each_move_and_keeps_the_latest() -> None:
    v = view()
    ws = WriteSet(v.pk)
    applied(v, ws, push_activity, lead(), t(0), "lead", "mql", "fast_pass")
    keys, ops = ws.ops()
    (push,) = [op for op in ops if op[0] == "lpush"]
    assert keys[int(push[1]) - 1] == v.pk.recent and push[2] == RECENT_MAX
    assert orjson.loads(push[3]) == {
        "at": t(0),
        "lead_id": "ld_1",
        "email": "ann@initech.example",
        "from": "lead",
        "to": "mql",
        "reason": "fast_pass",
    }


def _mql(v: PartitionView, state: LeadState, at: float, trigger: str) -> None:
    ws = WriteSet(v.pk)
    applied(
        v,
        ws,
        mql_alert,
        state,
        RULES,
        t=at,
        previous="lead",
        trigger=trigger,
        reason="fast_pass",
        model=None,
    )


def test_an_mql_alert_has_the_id_its_replay_would_have_and_is_noted_on_the_lead() -> None:
    v = view()
    state = lead()
    state.owner = "rep@initech.example"
    _mql(v, state, t(5), "demo")
    (message,) = v.outbound
    alert = decode(Alert, message.value)
    assert alert.alert_id == mql_alert_id("lead", "demo") == message.msg_id
    assert (alert.type, alert.reason, alert.trigger_event_id) == ("mql", "fast_pass", "demo")
    assert (alert.owner, message.topic, message.key) == ("rep@initech.example", "alerts", "ld_1")
    assert state.alerts == [["mql", alert.alert_id, t(5)]]


def test_a_lead_remembers_its_last_twenty_alerts() -> None:
    v = view()
    state = lead()
    for n in range(25):
        _mql(v, state, t(n), f"e{n}")
    assert len(state.alerts) == 20
    assert state.alerts[-1][1] == mql_alert_id("lead", "e24")
