"""What entering a stage does besides the stage itself: SLA timer, activity feed, mql alert."""

from __future__ import annotations

from typing import Any

import orjson

from leadpulse.kernel.domain import AlertType, Stage
from leadpulse.kernel.schema import Alert, encode
from scorer.core.alerts import alert_id, build_alert, lead_alert_id
from scorer.core.config import Rules
from scorer.core.decay import DAY
from scorer.core.effects import (
    ClearSlaTimer,
    EffectLog,
    Outbound,
    Publish,
    PushActivity,
    SetSlaTimer,
)
from scorer.core.state import LeadState

__all__ = [
    "legacy_mql_alert_id",
    "mql_alert",
    "mql_alert_id",
    "push_activity",
    "queue_alert",
    "set_sla",
    "sla_member",
]

_SLA_STAGES = (Stage.SAL, Stage.SQL, Stage.OPPORTUNITY)


def queue_alert(log: EffectLog, alert: Alert, state: LeadState) -> None:
    log.add(Publish(Outbound(alert.alert_id, "alerts", state.lead_id, encode(alert))))
    state.alerts = [*state.alerts, [alert.type, alert.alert_id, alert.occurred_at.timestamp()]][
        -20:
    ]


def sla_member(lead_id: str, stage: str, since: float) -> str:
    """An SLA timer's member: the lead and the stay (stage, entered at) it times."""
    return f"{lead_id}|{stage}|{since:.3f}"


def set_sla(log: EffectLog, state: LeadState, rules: Rules, t: float) -> None:
    """Time the lead's current stay (entered at `t`), replacing any previous timer."""
    if state.sla_member:
        log.add(ClearSlaTimer(state.sla_member))
        state.sla_member = None
    sla = rules.config.stages.sla
    if state.stage == Stage.MQL:
        deadline = t + sla.mql_hours * 3600
    elif state.stage in _SLA_STAGES:
        deadline = t + getattr(sla, f"{state.stage}_days") * DAY
    else:
        return
    state.sla_member = sla_member(state.lead_id, state.stage, t)
    log.add(SetSlaTimer(state.sla_member, deadline))


def push_activity(
    log: EffectLog,
    state: LeadState,
    t: float,
    previous: str,
    to: str,
    reason: str,
) -> None:
    activity: dict[str, Any] = {
        "at": t,
        "lead_id": state.lead_id,
        "email": state.email,
        "from": previous,
        "to": to,
        "reason": reason,
    }
    log.add(PushActivity(orjson.dumps(activity)))


def mql_alert_id(previous: str, trigger: str) -> str:
    return lead_alert_id(AlertType.MQL, f"{previous}>mql", trigger)


def legacy_mql_alert_id(lead_id: str, previous: str, trigger: str) -> str:
    """The id an mql alert had when lead alert ids named the lead (states stored then)."""
    return alert_id(AlertType.MQL, lead_id, f"{previous}>mql", trigger)


def mql_alert(
    log: EffectLog,
    state: LeadState,
    rules: Rules,
    *,
    t: float,
    previous: str,
    trigger: str,
    reason: str,
    model: str | None,
) -> None:
    alert = build_alert(
        AlertType.MQL,
        state,
        rules.compiled.models,
        t=t,
        transition=f"{previous}>mql",
        trigger=trigger,
        reason=reason,
        model=model,
    )
    queue_alert(log, alert, state)
