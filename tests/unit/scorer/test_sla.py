"""A due sales SLA timer: the breach alert it raises, and the stale message it may send."""

from __future__ import annotations

from leadpulse.kernel.messages import Stale, message_of
from leadpulse.kernel.schema import Alert, decode
from leadpulse.kernel.wire import read_envelope
from scorer.core.stage_effects import set_sla
from scorer.core.state import LeadState
from scorer.runtime.sla import due_messages
from scorer.storage.writes import WriteSet
from tests.unit.scorer.effects import DAY, RULES, applied, lead, rules_with, t, view, zops

STALE = rules_with(sla={"recycle_when_stale": True})


def _timed(stage: str, since: float) -> tuple[LeadState, float]:
    """A lead entering `stage` at `since`: its timer's deadline."""
    state = lead()
    state.stage, state.stage_at = stage, since
    ws = WriteSet(view().pk)
    applied(view(), ws, set_sla, state, RULES, since)
    ((_, deadline, _),) = zops(ws, view().pk.sla)
    return state, float(deadline)


def test_an_mql_not_accepted_within_a_day_alerts_sales_at_the_deadline() -> None:
    state, deadline = _timed("mql", t(0))
    assert deadline == t(0) + 24 * 3600
    assert state.sla_member is not None
    (message,) = due_messages(state, state.sla_member, RULES, deadline)
    alert = decode(Alert, message.value)
    assert (alert.type, message.topic, message.key) == ("sla_breach", "alerts", "ld_1")
    assert alert.reason == "MQL not accepted by sales within 24 hours"
    assert alert.occurred_at.timestamp() == deadline
    assert alert.trigger_event_id == state.sla_member


def test_a_sales_stage_stuck_past_its_days_says_so() -> None:
    state, deadline = _timed("sal", t(0))
    assert deadline == t(0) + 14 * DAY
    assert state.sla_member is not None
    (message,) = due_messages(state, state.sla_member, RULES, deadline)
    assert decode(Alert, message.value).reason == "lead stuck in sal for more than 14 days"


def test_two_scorers_firing_one_timer_raise_one_alert_id() -> None:
    """The id depends on the stay, not on when the tick ran: the router drops the copy."""
    state, deadline = _timed("mql", t(0))
    assert state.sla_member is not None
    first = due_messages(state, state.sla_member, RULES, deadline)
    late = due_messages(state, state.sla_member, RULES, deadline + 30)
    assert first[0].msg_id == late[0].msg_id
    again, _ = _timed("mql", t(60))
    assert again.sla_member is not None
    assert due_messages(again, again.sla_member, RULES, t(60) + DAY)[0].msg_id != first[0].msg_id


def test_with_recycle_when_stale_the_lead_is_told_to_recycle_that_stay() -> None:
    state, deadline = _timed("sal", t(0))
    assert state.sla_member is not None
    alert, stale = due_messages(state, state.sla_member, STALE, deadline)
    assert (alert.topic, stale.topic, stale.key) == ("alerts", "events", state.keys[0])
    message = message_of(read_envelope(stale.value))
    assert message == Stale(lead_id="ld_1", stage="sal", since=f"{t(0):.3f}")
    assert due_messages(state, state.sla_member, STALE, deadline + 5)[1].msg_id == stale.msg_id
