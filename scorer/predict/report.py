"""The backtest: train on the outcomes before a time split, test on those after it.

`p_convert` is the model trained on the earlier examples; the baseline is the rules score
at the same decision moments, mapped to a probability by Platt scaling fitted on the
same earlier examples (so both are judged as probabilities, on the same later examples).
"""

from __future__ import annotations

import math

import msgspec

from scorer.core.conversion.examples import Example, canonical
from scorer.core.conversion.weights import predict
from scorer.predict.learn import NB_BELOW, fit_platt, train
from scorer.predict.metrics import Scores, scores_of

__all__ = ["Backtest", "backtest"]


class Backtest(msgspec.Struct, frozen=True, kw_only=True):
    split_at: float  # outcomes at or after this time are the test
    trained_on: int
    kind: str
    p_convert: Scores
    rules_score: Scores
    # the hidden truth, when the examples came from the simulator (tests and demos)
    truth: Scores | None = None
    # the version trained on all the examples, when the trainer published one
    version: int | None = None


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


def backtest(
    examples: list[Example],
    split: float = 0.5,
    truth: dict[str, float] | None = None,
    nb_below: int = NB_BELOW,
) -> Backtest | None:
    """Split the canonical order at `split`; None when either side has no example."""
    ordered = canonical(examples)
    cut = int(len(ordered) * split)
    earlier, later = ordered[:cut], ordered[cut:]
    if not earlier or not later:
        return None
    model = train(earlier, "backtest", nb_below)
    labels = [e.label for e in later]
    p = [predict(model, e.snapshot.features).p_convert for e in later]
    a, b = fit_platt([e.snapshot.score / 100 for e in earlier], [e.label for e in earlier])
    rules = [_sigmoid(a * e.snapshot.score / 100 + b) for e in later]
    known = truth or {}
    true_p = [known.get(e.lead_id) for e in later]
    return Backtest(
        split_at=later[0].outcome_at,
        trained_on=len(earlier),
        kind=model.kind,
        p_convert=scores_of(p, labels, probability=True),
        rules_score=scores_of(rules, labels, probability=True),
        truth=scores_of([t or 0.0 for t in true_p], labels, probability=True)
        if truth and all(t is not None for t in true_p)
        else None,
    )
