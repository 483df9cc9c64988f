"""Training: naive Bayes while outcomes are scarce, FTRL-Proximal logistic regression after.

Both come from river. Training walks the examples in canonical order, predicting each one
before learning it (progressive validation); Platt scaling is fitted on the later half of
those out-of-sample predictions, then folded into the exported linear weights. Same
examples, same weights, byte for byte.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from river import linear_model, naive_bayes, optim

from leadpulse.kernel.config.predict import PredictConfig
from scorer.core.conversion.examples import Example, canonical
from scorer.core.conversion.weights import LinearModel

__all__ = ["NB_BELOW", "fit_platt", "linear_of_nb", "train"]

NB_BELOW = PredictConfig().naive_bayes_below  # the config's default
HELD_OUT = 0.25  # the newest quarter of the examples calibrates
FTRL_ALPHA = 0.2


def linear_of_nb(nb: naive_bayes.BernoulliNB) -> tuple[float, dict[str, float]]:
    """A Bernoulli naive Bayes as intercept + weight per present feature.

    log-odds = prior + sum_f [x_f log(p1/p0) + (1 - x_f) log((1 - p1)/(1 - p0))]: the
    absent-feature terms of every known feature move into the intercept."""
    n1 = float(nb.class_counts.get(True, 0))
    n0 = float(nb.class_counts.get(False, 0))
    alpha = float(nb.alpha)
    # river's own prior; smoothed only while a class has no example yet
    intercept = math.log(n1 / n0) if n1 and n0 else math.log((n1 + alpha) / (n0 + alpha))
    weights: dict[str, float] = {}
    for feature in sorted(nb.feature_counts):
        counts = nb.feature_counts[feature]
        p1 = (float(counts.get(True, 0)) + alpha) / (n1 + 2 * alpha)
        p0 = (float(counts.get(False, 0)) + alpha) / (n0 + 2 * alpha)
        absent = math.log((1 - p1) / (1 - p0))
        intercept += absent
        weights[feature] = math.log(p1 / p0) - absent
    return intercept, weights


def _platt_loss(logits: list[float], targets: list[float], a: float, b: float) -> float:
    total = 0.0
    for z, t in zip(logits, targets, strict=True):
        u = a * z + b
        # log(1 + e^u) - t * u, computed without overflow
        total += max(u, 0.0) + math.log1p(math.exp(-abs(u))) - t * u
    return total


def fit_platt(logits: list[float], labels: list[int], steps: int = 50) -> tuple[float, float]:
    """(a, b) maximising the likelihood of sigmoid(a * logit + b): Newton's method with
    step halving, on Platt's smoothed targets so a separable window stays finite."""
    n1 = sum(labels)
    n0 = len(labels) - n1
    if n1 == 0 or n0 == 0:
        return 1.0, 0.0
    hi, lo = (n1 + 1) / (n1 + 2), 1 / (n0 + 2)
    targets = [hi if y else lo for y in labels]
    a, b = 1.0, 0.0
    loss = _platt_loss(logits, targets, a, b)
    for _ in range(steps):
        g_a = g_b = h_aa = h_ab = h_bb = 0.0
        for z, t in zip(logits, targets, strict=True):
            p = _sigmoid(a * z + b)
            d = p - t
            w = max(p * (1 - p), 1e-12)
            g_a += d * z
            g_b += d
            h_aa += w * z * z
            h_ab += w * z
            h_bb += w
        det = h_aa * h_bb - h_ab * h_ab
        if abs(det) < 1e-12:
            break
        da = (h_bb * g_a - h_ab * g_b) / det
        db = (h_aa * g_b - h_ab * g_a) / det
        step = 1.0
        while step > 1e-6:
            trial = _platt_loss(logits, targets, a - step * da, b - step * db)
            if trial <= loss:
                break
            step /= 2
        else:
            break
        a, b, gain = a - step * da, b - step * db, loss - trial
        loss = trial
        if gain < 1e-9:
            break
    return a, b


def _quartiles(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    if not ordered:
        return 0.25, 0.5, 0.75
    at = [ordered[min(len(ordered) - 1, int(q * len(ordered)))] for q in (0.25, 0.5, 0.75)]
    return at[0], at[1], at[2]


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


def _learner(use_nb: bool) -> Any:
    if use_nb:
        return naive_bayes.BernoulliNB(alpha=1.0)  # type: ignore[no-untyped-call]
    return linear_model.LogisticRegression(
        optimizer=optim.FTRLProximal(alpha=FTRL_ALPHA, beta=1.0, l1=0.5, l2=1.0),
        intercept_lr=optim.schedulers.InverseScaling(learning_rate=0.5, power=0.5),
    )


def _linear(learner: Any, use_nb: bool) -> tuple[float, dict[str, float]]:
    if use_nb:
        return linear_of_nb(learner)
    return float(learner.intercept), {f: float(w) for f, w in learner.weights.items()}


def train(examples: Iterable[Example], name: str, nb_below: int = NB_BELOW) -> LinearModel:
    """A calibrated model of the examples (deduplicated and ordered by `canonical`).

    The learner takes the examples in order up to the newest `HELD_OUT` of them; those are
    scored by that model, never learned by it, and Platt scaling is fitted on them. (Going
    on to learn them grows the weights past what the window calibrated; the next version
    learns them.)"""
    ordered = canonical(list(examples))
    use_nb = len(ordered) < nb_below
    learner = _learner(use_nb)
    window = len(ordered) - int(len(ordered) * HELD_OUT)
    for example in ordered[:window]:
        learner.learn_one(dict.fromkeys(example.snapshot.features, 1.0), bool(example.label))
    raw_intercept, raw = _linear(learner, use_nb)
    held = ordered[window:]
    logits = [raw_intercept + math.fsum(raw.get(f, 0.0) for f in e.snapshot.features) for e in held]
    a, b = fit_platt(logits, [e.label for e in held])
    weights = {f: a * w for f, w in sorted(raw.items()) if w != 0.0}
    intercept = a * raw_intercept + b
    calibrated = [
        _sigmoid(intercept + math.fsum(weights.get(f, 0.0) for f in e.snapshot.features))
        for e in ordered
    ]
    return LinearModel(
        name=name,
        kind="naive_bayes" if use_nb else "ftrl",
        intercept=intercept,
        weights=weights,
        examples=len(ordered),
        positives=sum(e.label for e in ordered),
        cuts=_quartiles(calibrated),
        trained_until=ordered[-1].outcome_at if ordered else 0.0,
    )
