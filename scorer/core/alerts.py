"""Alert intents, built from a lead's state: pure, with deterministic alert ids."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from leadpulse.kernel.domain import AlertType
from leadpulse.kernel.schema import Alert, AlertLead
from scorer.core.content import lead_consideration, top_interests
from scorer.core.rules import CompiledModel
from scorer.core.scoring import ModelScore, model_score, ranked
from scorer.core.state import LeadState

__all__ = [
    "account_alert",
    "alert_id",
    "build_alert",
    "lead_alert_id",
    "lead_summary",
    "lead_summary_data",
    "primary_score",
    "scores_of",
]

_ATTRIBUTES = ("country", "region", "company", "company_size", "industry", "title", "seniority")


def alert_id(kind: str, subject: str, transition: str, trigger: str) -> str:
    """Same subject, same transition, same triggering event -> same id."""
    raw = f"{kind}|{subject}|{transition}|{trigger}".encode()
    return "al_" + hashlib.blake2b(raw, digest_size=12).hexdigest()


# A lead alert's subject: its triggering event names the person, whatever lead holds them.
_LEAD = "lead"


def lead_alert_id(kind: str, transition: str, trigger: str) -> str:
    """A lead alert's id, without the lead's id: the same alert whether the lead that raised
    it was merged into another before or after (a merge keeps it; it is not sent twice)."""
    return alert_id(kind, _LEAD, transition, trigger)


def _utc(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def scores_of(
    state: LeadState, models: tuple[CompiledModel, ...], t: float
) -> dict[str, ModelScore]:
    out: dict[str, ModelScore] = {}
    for model in models:
        ms = state.models.get(model.name)
        if ms is not None:
            out[model.name] = model_score(ms, model.model.half_life_days, t)
        else:
            out[model.name] = ModelScore(0.0, 0.0, [])
    return out


def primary_score(state: LeadState, models: tuple[CompiledModel, ...], t: float) -> ModelScore:
    """The first (default) model's score: what lists, accounts and alerts show."""
    return scores_of(state, models[:1], t)[models[0].name]


def lead_summary(
    state: LeadState, models: tuple[CompiledModel, ...], t: float, model: str | None = None
) -> AlertLead:
    """What sales see of the lead in an alert: score, top reasons, interests, account."""
    return AlertLead.model_validate(lead_summary_data(state, models, t, model))


def lead_summary_data(
    state: LeadState, models: tuple[CompiledModel, ...], t: float, model: str | None = None
) -> dict[str, Any]:
    """`lead_summary` as JSON data, for the messages that carry it to an account's scorer."""
    scores = scores_of(state, models, t)
    score = scores[model] if model in scores else scores[models[0].name]
    top = ranked(score.breakdown)[:3]
    attributes = {
        name: str(state.traits[name])
        for name in _ATTRIBUTES
        if name in state.traits and not isinstance(state.traits[name], dict | list)
    }
    return {
        "lead_id": state.lead_id,
        "email": state.email,
        "stage": state.stage,
        "score": round(score.total, 2),
        "fit": round(score.fit, 2),
        "engagement": round(score.engagement, 2),
        "top_reasons": [
            {"rule": r, "points": round(p, 2), "at": _utc(at).isoformat()} for r, p, at in top
        ],
        "consideration": lead_consideration(state.consideration),
        "interests": top_interests(state.topics),
        "account": state.account,
        "account_traits": state.account_traits or None,
        "attributes": attributes,
        "nurture_paused_until": _utc(state.paused_until).isoformat()
        if state.paused_until
        else None,
        "prediction": state.prediction,
    }


def build_alert(
    kind: AlertType,
    state: LeadState,
    models: tuple[CompiledModel, ...],
    *,
    t: float,
    transition: str,
    trigger: str,
    reason: str,
    model: str | None = None,
) -> Alert:
    return Alert(
        alert_id=lead_alert_id(kind, transition, trigger),
        type=kind,
        occurred_at=_utc(t),
        lead=lead_summary(state, models, t, model),
        reason=reason,
        owner=state.owner,
        model=model or models[0].name,
        identity_verified=state.verified,
        trigger_event_id=trigger,
        account_id=state.account,
    )


def account_alert(
    kind: AlertType,
    account: str,
    lead: AlertLead,
    *,
    transition: str,
    trigger: str,
    reason: str,
    t: float,
) -> Alert:
    """An alert about an account, shown through the person whose activity raised it."""
    return Alert(
        alert_id=alert_id(kind, account, transition, trigger),
        type=kind,
        occurred_at=_utc(t),
        lead=lead,
        reason=reason,
        account_id=account,
        trigger_event_id=trigger,
    )
