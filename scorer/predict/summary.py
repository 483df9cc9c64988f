"""The prediction a changed lead is written with: in its state, and in its list summary."""

from __future__ import annotations

from typing import Any

from scorer.context import Rules
from scorer.predict.live import live_models, predict_lead
from scorer.state import LeadState

__all__ = ["predict_summary"]


def predict_summary(state: LeadState, rules: Rules, fields: dict[str, Any]) -> None:
    """At the end of the lead's run: predict with the live model (and the shadow one, for
    its report), into `state.prediction` and the summary the list sorts by."""
    models = live_models()
    if models.live is None and state.prediction is None:
        return
    t = state.last_seen
    state.prediction = predict_lead(state, rules, t)
    if state.prediction is not None:
        fields["p_convert"] = state.prediction["p_convert"]
        fields["tier"] = state.prediction["tier"]
    if models.shadow is not None:
        shadow = predict_lead(state, rules, t, shadow=True)
        fields["p_shadow"] = shadow["p_convert"] if shadow else None
