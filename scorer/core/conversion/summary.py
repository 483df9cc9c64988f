"""The prediction a changed lead is written with: in its state, and in its list summary.

Identified leads only. A lead is predicted again at the end of its run when the live
model, its stage or its traits changed, or on every REPREDICT_EVERY-th change otherwise
(features are coarse bands that a single event rarely moves; a stage move always
predicts, in `outcomes.note_stage_move`): so a busy lead costs one prediction in a few
events, not one per event.
"""

from __future__ import annotations

import zlib
from typing import Any

import orjson

from scorer.core.config import Rules
from scorer.core.conversion.live import live_models, predict_lead
from scorer.core.conversion.segments import model_for
from scorer.core.state import LeadState

__all__ = ["REPREDICT_EVERY", "identified", "predict_summary"]

REPREDICT_EVERY = 4


def identified(state: LeadState) -> bool:
    return state.email is not None or any(not k.startswith("anon:") for k in state.keys)


def _basis(state: LeadState, version: int) -> list[Any]:
    traits = orjson.dumps(state.traits, option=orjson.OPT_SORT_KEYS)
    return [version, state.stage, zlib.crc32(traits)]


def predict_summary(state: LeadState, rules: Rules, fields: dict[str, Any]) -> None:
    """At the end of the lead's run: predict with the live model when due (and with the
    shadow one, for its report), into `state.prediction` and the list summary."""
    models = live_models()
    if state.prediction is None and models.live is None and not models.others:
        return  # no model at all yet: the common case before the first outcomes
    name = model_for(state, rules)
    live, in_shadow = models.pair(name) if name is not None else (None, None)
    if live is None and state.prediction is None:
        return
    if live is not None and identified(state):
        basis = _basis(state, live.version)
        held = state.predicted
        if state.prediction is None or held is None or held[:3] != basis:
            skipped = REPREDICT_EVERY  # due now
        else:
            skipped = int(held[3]) + 1
        if skipped >= REPREDICT_EVERY:
            state.prediction = predict_lead(state, rules, state.last_seen)
            skipped = 0
        state.predicted = [*basis, skipped]
    elif live is None:
        state.prediction = state.predicted = None
    if state.prediction is not None:
        fields["p_convert"] = state.prediction["p_convert"]
        fields["tier"] = state.prediction["tier"]
    if in_shadow is not None and identified(state):
        shadow = predict_lead(state, rules, state.last_seen, shadow=True)
        fields["p_shadow"] = shadow["p_convert"] if shadow else None
