"""`core.horizon`: the time a message passes, decided from a partition's watermark and open
decision timers alone (a plain value here, as the core reads the view)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from scorer.core.conversion.decisions import deadline_of, member_of
from scorer.core.effects import KeepLead, MoveWatermark, Publish, StoreWatermark, UnwatchDecision
from scorer.core.horizon import event_time, pass_time, store_watermark
from scorer.core.state import LeadState
from scorer.core.steps import Entry
from tests.unit.scorer.effects import DAY, RULES, lead, t
from tests.unit.scorer.events import at, page


@dataclass
class Clock:
    """What time passing reads of a partition: `core.horizon.Horizons`."""

    watermark: float = -math.inf
    horizons: Mapping[str, float] = field(default_factory=dict)
    horizon_next: float = math.inf
    leads: Mapping[str, LeadState | None] = field(default_factory=dict)


def _mql_lead(mql_at: float) -> LeadState:
    state = lead()
    state.stage, state.stage_at = "mql", mql_at
    state.history = [Entry("lead", t(), "new", "e0").raw(), Entry("mql", mql_at, "score").raw()]
    return state


def test_an_event_moves_the_watermark_to_its_time() -> None:
    effects = pass_time(Clock(watermark=t(0)), RULES, page(when=at(10))).items
    assert effects == (MoveWatermark(t(10), math.inf),)
    assert event_time(page(when=at(10))) == t(10)


def test_an_older_event_or_the_scorers_own_message_moves_nothing() -> None:
    assert pass_time(Clock(watermark=t(10)), RULES, page(when=at(5))).items == ()
    assert pass_time(Clock(watermark=t(10)), RULES, None).items == ()


def test_a_passed_deadline_closes_the_decision_with_its_horizon_example() -> None:
    mql_at = t(1)
    state = _mql_lead(mql_at)
    member, deadline = member_of(state.lead_id, mql_at), deadline_of(mql_at, RULES)
    clock = Clock(t(1), {member: deadline}, deadline, {state.lead_id: state})
    later = page(when=at(days=RULES.predict.horizon_days + 1))
    effects = pass_time(clock, RULES, later).items
    assert UnwatchDecision(member) in effects
    assert state.horizon_closed == [mql_at]
    assert [e for e in effects if isinstance(e, KeepLead)] == [KeepLead(state)]
    examples = [e.message for e in effects if isinstance(e, Publish)]
    assert [m.topic for m in examples] == ["outcomes"]


def test_a_deadline_not_yet_passed_waits() -> None:
    mql_at = t(1)
    state = _mql_lead(mql_at)
    member, deadline = member_of(state.lead_id, mql_at), deadline_of(mql_at, RULES)
    clock = Clock(t(1), {member: deadline}, deadline, {state.lead_id: state})
    effects = pass_time(clock, RULES, page(when=at(days=3))).items
    assert effects == (MoveWatermark(t(days=3), deadline),)
    assert state.horizon_closed == []
    assert deadline - mql_at == RULES.predict.horizon_days * DAY


def test_the_watermark_is_stored_once_known() -> None:
    assert store_watermark(-math.inf).items == ()
    assert store_watermark(t(3)).items == (StoreWatermark(t(3)),)
