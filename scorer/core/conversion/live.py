"""The models this process predicts with: the scorer's one seam into the predictive score.

The consumer loads them once per batch (`scorer.predict.refresh`, which reads Valkey at
most once a second); deciding calls `predict_lead`, which uses only what was loaded, so
deciding stays pure. Predictions are computed when a lead changes (its run's end, and
before an alert), never per event twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec

from scorer.core.config import Rules
from scorer.core.conversion.features import features_of
from scorer.core.conversion.segments import DEFAULT_MODEL, model_for
from scorer.core.conversion.weights import LinearModel, Prediction, predict
from scorer.core.state import LeadState

__all__ = ["LiveModels", "Pair", "live_models", "predict_lead", "prediction_data"]

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
