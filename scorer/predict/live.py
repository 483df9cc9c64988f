"""The models this process predicts with: the scorer's one seam into the predictive score.

The consumer calls `refresh` once per batch (it reads Valkey at most once a second); the
apply path calls `predict_lead`, which uses only what `refresh` loaded, so applying stays
pure. Predictions are computed when a lead changes (its run's end, and before an alert),
never per event twice.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from leadpulse.kernel.valkey import Valkey
from scorer.core.config import Rules
from scorer.core.state import LeadState
from scorer.predict.features import features_of
from scorer.predict.registry import DEFAULT_MODEL, read_model, read_pointers
from scorer.predict.segments import model_for
from scorer.predict.weights import LinearModel, Prediction, predict

__all__ = ["LiveModels", "Pair", "live_models", "predict_lead", "prediction_data", "refresh"]

REFRESH_SECONDS = 1.0


Pair = tuple[LinearModel | None, LinearModel | None]


@dataclass(slots=True)
class LiveModels:
    live: LinearModel | None = None  # the `default` model's live and shadow versions
    shadow: LinearModel | None = None
    checked: float = float("-inf")
    others: dict[str, Pair] = field(default_factory=dict)  # every other model's, by name

    def pair(self, name: str) -> Pair:
        """(live, shadow) of the model named `name`."""
        if name == DEFAULT_MODEL:
            return self.live, self.shadow
        return self.others.get(name, (None, None))


_MODELS = LiveModels()


def live_models() -> LiveModels:
    return _MODELS


async def refresh(
    redis: Valkey,
    *,
    names: Sequence[str] = (DEFAULT_MODEL,),
    now: float | None = None,
    force: bool = False,
) -> LiveModels:
    """Pick up a newly published, promoted or rolled back version of each named model."""
    models = _MODELS
    at = time.monotonic() if now is None else now
    if not force and at - models.checked < REFRESH_SECONDS:
        return models
    models.checked = at
    others: dict[str, Pair] = {}
    for name in names:
        live, shadow = await read_pointers(redis, name)
        held_live, held_shadow = models.pair(name)
        pair = (
            await _load(redis, name, held_live, live),
            await _load(redis, name, held_shadow, shadow),
        )
        if name == DEFAULT_MODEL:
            models.live, models.shadow = pair
        elif pair != (None, None):
            others[name] = pair
    models.others = others
    return models


async def _load(
    redis: Valkey, name: str, held: LinearModel | None, version: int | None
) -> LinearModel | None:
    if version is None:
        return None
    if held is not None and held.version == version:
        return held
    return await read_model(redis, name, version)


def prediction_data(prediction: Prediction) -> dict[str, Any]:
    """The prediction as the lead's JSON shows it (unrounded: the factors sum exactly)."""
    data: dict[str, Any] = msgspec.to_builtins(prediction)
    return data


def predict_lead(
    state: LeadState, rules: Rules, t: float, *, shadow: bool = False
) -> dict[str, Any] | None:
    """The live (or shadow) version of the lead's model (`segments.model_for`): its
    prediction for the lead as it is at `t`; None when there is no such version yet."""
    name = model_for(state, rules)
    if name is None:
        return None
    live, in_shadow = _MODELS.pair(name)
    model = in_shadow if shadow else live
    if model is None:
        return None
    return prediction_data(predict(model, features_of(state, rules, t)))
