"""A stale sales stay recycles the lead, only if it still sits in the stay the timer named."""

from __future__ import annotations

from leadpulse.kernel.messages import Stale
from leadpulse.kernel.wire import read_envelope
from scorer.core.config import Rules
from scorer.core.identity import control_message
from scorer.core.stale import apply_stale
from scorer.core.state import LeadState
from scorer.core.steps import Entry
from scorer.storage.effects import apply_effects
from scorer.storage.view import PartitionView
from scorer.storage.writes import WriteSet
from tests.unit.scorer.effects import DAY, RULES, funnel, lead, rules_with, step, t, view

STALE = rules_with(sla={"recycle_when_stale": True})
SINCE = t(days=1)


def _accepted() -> tuple[PartitionView, LeadState]:
    """A lead sales accepted (sal) a day after it arrived."""
    v = view()
    state = lead()
    state.stage, state.stage_at = "sal", SINCE
    state.history = [
        Entry("lead", t(0), "new", "e0").raw(),
        Entry("sal", SINCE, "crm:accepted", "ok").raw(),
    ]
    state.steps = [step(t(0), "e0").raw(), step(SINCE, "ok", "ic", extra=["accepted", None]).raw()]
    v.leads[state.lead_id] = state
    return v, state


def _stale(
    v: PartitionView,
    rules: Rules,
    at: float,
    stage: str = "sal",
    since: str = f"{SINCE:.3f}",
    lead_id: str = "ld_1",
) -> WriteSet:
    stale = Stale(lead_id=lead_id, stage=stage, since=since)
    event = read_envelope(control_message("stale:x", "email:ann@initech.example", at, stale).value)
    ws = WriteSet(v.pk)
    apply_effects(apply_stale(v.leads.get(lead_id), event, stale, rules), v, ws)
    return ws


def test_a_lead_still_in_the_stale_stay_is_recycled_and_paused() -> None:
    v, state = _accepted()
    ws = _stale(v, STALE, SINCE + 14 * DAY)
    assert [e[0] for e in state.history] == ["lead", "sal", "recycle"]
    assert state.history[-1][2] == "sla:stale"
    assert state.paused_until == SINCE + (14 + 90) * DAY and not state.lost
    assert funnel(ws)["tr|2026-03-17|sal|recycle"] == 1
    assert v.dirty == {"ld_1": state}


def test_a_lead_that_moved_on_since_the_timer_fired_keeps_its_stage() -> None:
    v, state = _accepted()
    state.stage, state.stage_at = "sql", t(days=3)
    state.history.append(Entry("sql", t(days=3), "crm:qualified", "q").raw())
    state.steps.append(step(t(days=3), "q", "ic", extra=["qualified", None]).raw())
    _stale(v, STALE, SINCE + 14 * DAY)
    assert state.stage == "sql" and state.history[-1][0] == "sql"


def test_nothing_is_recycled_once_recycle_when_stale_is_turned_off() -> None:
    v, state = _accepted()
    ws = _stale(v, RULES, SINCE + 14 * DAY)
    assert state.stage == "sal" and funnel(ws) == {} and not v.dirty


def test_a_stale_message_for_a_gone_lead_or_an_unknown_stay_does_nothing() -> None:
    v, state = _accepted()
    _stale(v, STALE, SINCE + 14 * DAY, lead_id="ld_gone")
    _stale(v, STALE, SINCE + 14 * DAY, since="not-a-time")
    assert state.stage == "sal" and not v.dirty


def test_a_stale_timer_older_than_the_leads_latest_step_recycles_in_event_time_order() -> None:
    """A page seen after the deadline but applied first: the lead still went stale at the
    deadline, and the page came during the pause."""
    v, state = _accepted()
    state.steps.append(step(SINCE + 15 * DAY, "p", "ipe", 1).raw())
    _stale(v, STALE, SINCE + 14 * DAY)
    assert [(e[0], e[1]) for e in state.history][-1] == ("recycle", SINCE + 14 * DAY)
    assert state.stage == "recycle"
