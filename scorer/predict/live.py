"""The models this process predicts with: the scorer's one seam into the predictive score.

The consumer calls `refresh` once per batch (it reads Valkey at most once a second); the
apply path calls `predict_lead`, which uses only what `refresh` loaded, so applying stays
pure. Predictions are computed when a lead changes (its run's end, and before an alert),
never per event twice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import msgspec

from scorer.context import Rules
from scorer.predict.features import features_of
from scorer.predict.registry import DEFAULT_MODEL, read_model, read_pointers
from scorer.predict.weights import LinearModel, Prediction, predict
from scorer.state import LeadState

__all__ = ["LiveModels", "live_models", "predict_lead", "prediction_data", "refresh"]

REFRESH_SECONDS = 1.0


@dataclass(slots=True)
class LiveModels:
    live: LinearModel | None = None
    shadow: LinearModel | None = None
    checked: float = float("-inf")


_MODELS = LiveModels()


def live_models() -> LiveModels:
    return _MODELS


async def refresh(redis: Any, *, now: float | None = None, force: bool = False) -> LiveModels:
    """Pick up a newly published, promoted or rolled back model."""
    models = _MODELS
    at = time.monotonic() if now is None else now
    if not force and at - models.checked < REFRESH_SECONDS:
        return models
    models.checked = at
    live, shadow = await read_pointers(redis, DEFAULT_MODEL)
    models.live = await _load(redis, models.live, live)
    models.shadow = await _load(redis, models.shadow, shadow)
    return models


async def _load(redis: Any, held: LinearModel | None, version: int | None) -> LinearModel | None:
    if version is None:
        return None
    if held is not None and held.version == version:
        return held
    return await read_model(redis, DEFAULT_MODEL, version)


def prediction_data(prediction: Prediction) -> dict[str, Any]:
    """The prediction as the lead's JSON shows it (unrounded: the factors sum exactly)."""
    data: dict[str, Any] = msgspec.to_builtins(prediction)
    return data


def predict_lead(
    state: LeadState, rules: Rules, t: float, *, shadow: bool = False
) -> dict[str, Any] | None:
    """The live (or shadow) model's prediction for the lead as it is at `t`; None when
    there is no such model yet."""
    model = _MODELS.shadow if shadow else _MODELS.live
    if model is None:
        return None
    return prediction_data(predict(model, features_of(state, rules, t)))
