"""Lead changes for the CRM connectors, decided once a lead's run is applied.

A change is due when the stage moved, when the score moved `crm_score_step` or more since
the last change sent, or when the lead raised an alert; what was last sent is kept in the
lead's state (`LeadState.crm`), so a replay decides the same. The change goes through the
partition's outbox in the same atomic write as the state, like an alert: a crash between
the two cannot lose it or send it twice (its id is the lead and a per-lead sequence).
Leads without an email are skipped: a CRM has nothing to key them by. With no CRM
destination configured nothing is decided or sent.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from leadpulse.kernel.lead_change import ChangeCause, LeadChange, Reason
from leadpulse.kernel.schema import encode
from scorer.core.alerts import primary_score
from scorer.core.config import Rules
from scorer.core.content import lead_consideration, top_interests
from scorer.core.effects import EffectLog, Outbound, Publish
from scorer.core.scoring import model_total, ranked
from scorer.core.state import LeadState

__all__ = ["change_id", "due_causes", "queue_lead_change"]

# LeadState.crm: [seq, score sent, stage sent, last alert id sent]


def change_id(lead_id: str, seq: int) -> str:
    raw = f"{lead_id}|{seq}".encode()
    return "lc_" + hashlib.blake2b(raw, digest_size=12).hexdigest()


def due_causes(
    sent: list[object] | None, stage: str, score: float, alert: str | None, step: float
) -> list[ChangeCause]:
    """Why a change is due now (empty: not due). Pure."""
    if sent is None:
        return ["stage"]
    causes: list[ChangeCause] = []
    if stage != sent[2]:
        causes.append("stage")
    previous = sent[1]
    if isinstance(previous, int | float) and abs(score - previous) >= step:
        causes.append("score")
    if alert is not None and alert != sent[3]:
        causes.append("alert")
    return causes


def queue_lead_change(log: EffectLog, state: LeadState, rules: Rules) -> None:
    """Publish the change due for the lead, if one is, and note it as sent in its state."""
    step = rules.crm_score_step
    if step is None or not state.email:
        return
    models = rules.compiled.models
    primary = models[0]
    t = state.last_seen
    total = model_total(state.models.get(primary.name), primary.model.half_life_days, t)
    last_alert = state.alerts[-1] if state.alerts else None
    alert_id = str(last_alert[1]) if last_alert else None
    causes = due_causes(state.crm, state.stage, total, alert_id, step)
    if not causes:
        return
    seq = int(state.crm[0]) + 1 if state.crm else 0
    score = primary_score(state, models, t)
    state.crm = [seq, round(score.total, 2), state.stage, alert_id]
    top = ranked(score.breakdown)[:3]
    change = LeadChange(
        change_id=change_id(state.lead_id, seq),
        lead_id=state.lead_id,
        seq=seq,
        at=datetime.fromtimestamp(t, UTC),
        causes=causes,
        email=state.email,
        stage=state.stage,
        score=round(score.total, 2),
        engagement=round(score.engagement, 2),
        fit=round(score.fit, 2),
        consideration=lead_consideration(state.consideration),
        interests=top_interests(state.topics),
        top_reasons=[Reason(rule=rule, points=round(points, 2)) for rule, points, _ in top],
        last_alert=str(last_alert[0]) if last_alert else None,
        p_convert=state.prediction["p_convert"] if state.prediction else None,
    )
    message = Outbound(change.change_id, "lead_changes", state.lead_id, encode(change))
    log.add(Publish(message))
