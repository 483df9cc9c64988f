"""How good a probability is: AUC, log-loss, Brier score, reliability bins, ECE. Pure."""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec

__all__ = ["Bin", "Scores", "auc", "brier", "ece", "log_loss", "reliability", "scores_of"]

_EPS = 1e-12


class Bin(msgspec.Struct, frozen=True):
    low: float
    high: float
    count: int
    predicted: float  # mean prediction in the bin
    observed: float  # share of positives in the bin


class Scores(msgspec.Struct, frozen=True, kw_only=True):
    n: int
    positives: int
    auc: float
    log_loss: float | None
    brier: float | None
    ece: float | None
    bins: list[Bin]


def auc(predictions: Sequence[float], labels: Sequence[int]) -> float:
    """Area under the ROC curve (ties count half), by ranks."""
    pairs = sorted(zip(predictions, labels, strict=True))
    positives = sum(labels)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    rank_sum = 0.0
    i = 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        mean_rank = (i + j + 1) / 2  # ranks are 1-based
        rank_sum += mean_rank * sum(label for _, label in pairs[i:j])
        i = j
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def log_loss(predictions: Sequence[float], labels: Sequence[int]) -> float:
    total = 0.0
    for p, y in zip(predictions, labels, strict=True):
        p = min(max(p, _EPS), 1 - _EPS)
        total -= math.log(p) if y else math.log(1 - p)
    return total / len(labels)


def brier(predictions: Sequence[float], labels: Sequence[int]) -> float:
    return math.fsum((p - y) ** 2 for p, y in zip(predictions, labels, strict=True)) / len(labels)


def reliability(predictions: Sequence[float], labels: Sequence[int], bins: int = 10) -> list[Bin]:
    """Equal-width bins over [0, 1]: mean prediction against observed rate in each."""
    sums = [[0, 0.0, 0] for _ in range(bins)]
    for p, y in zip(predictions, labels, strict=True):
        k = min(int(p * bins), bins - 1)
        sums[k][0] += 1
        sums[k][1] += p
        sums[k][2] += y
    return [
        Bin(k / bins, (k + 1) / bins, int(n), float(s / n), float(pos / n))
        for k, (n, s, pos) in enumerate(sums)
        if n
    ]


def ece(predictions: Sequence[float], labels: Sequence[int], bins: int = 10) -> float:
    """Expected calibration error: the count-weighted gap between predicted and observed."""
    return math.fsum(
        b.count * abs(b.predicted - b.observed) for b in reliability(predictions, labels, bins)
    ) / len(labels)


def scores_of(predictions: Sequence[float], labels: Sequence[int], probability: bool) -> Scores:
    """Every figure; log-loss, Brier and calibration only for a probability (not a score)."""
    return Scores(
        n=len(labels),
        positives=sum(labels),
        auc=auc(predictions, labels),
        log_loss=log_loss(predictions, labels) if probability else None,
        brier=brier(predictions, labels) if probability else None,
        ece=ece(predictions, labels) if probability else None,
        bins=reliability(predictions, labels) if probability else [],
    )
