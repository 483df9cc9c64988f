"""A published model: a calibrated linear logit over binary features, and its prediction.

Both learners (naive Bayes and FTRL-Proximal logistic regression) reduce to
`logit = intercept + sum(weights[f] for f in features)`; Platt scaling (`a * logit + b`)
keeps that form, so the published weights are already calibrated and every factor is a
logit contribution: intercept + contributions = logit(p_convert), exactly.
"""

from __future__ import annotations

import math
from typing import Literal

import msgspec

__all__ = ["Factor", "LinearModel", "Prediction", "decode_model", "encode_model", "predict"]

_ENCODER = msgspec.json.Encoder(order="sorted")


class LinearModel(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    version: int = 0
    kind: Literal["naive_bayes", "ftrl"]
    intercept: float
    weights: dict[str, float]
    examples: int
    positives: int
    # p_convert at the 25th, 50th and 75th percentile of the training examples: tiers
    cuts: tuple[float, float, float] = (0.25, 0.5, 0.75)
    # time of the newest outcome trained on (epoch seconds)
    trained_until: float = 0.0


class Factor(msgspec.Struct, frozen=True):
    feature: str
    contribution: float


class Prediction(msgspec.Struct, frozen=True, kw_only=True):
    p_convert: float
    tier: int  # 1 = top quartile of the training population ... 4 = bottom
    model: str
    version: int
    intercept: float
    factors: list[Factor]
    # the contributions of features not listed: intercept + factors + rest = logit(p_convert)
    rest: float


def encode_model(model: LinearModel) -> bytes:
    """Canonical bytes: equal models give equal bytes (keys sorted)."""
    return _ENCODER.encode(model)


def decode_model(raw: bytes | str) -> LinearModel:
    return msgspec.json.decode(raw, type=LinearModel)


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1 / (1 + math.exp(-z))
    e = math.exp(z)
    return e / (1 + e)


def predict(model: LinearModel, features: list[str], top: int = 3) -> Prediction:
    """p_convert with its top `top` positive and negative factors (logit contributions)."""
    weights = model.weights
    known = [(f, weights[f]) for f in features if f in weights]
    logit = model.intercept + math.fsum(w for _, w in known)
    p = _sigmoid(logit)
    positive = sorted((c for c in known if c[1] > 0), key=lambda c: (-c[1], c[0]))[:top]
    negative = sorted((c for c in known if c[1] < 0), key=lambda c: (c[1], c[0]))[:top]
    tier = 4 - sum(p >= cut for cut in model.cuts)
    return Prediction(
        p_convert=p,
        tier=tier,
        model=model.name,
        version=model.version,
        intercept=model.intercept,
        factors=[Factor(f, w) for f, w in positive + negative],
        rest=math.fsum(w for _, w in known) - math.fsum(w for _, w in positive + negative),
    )
