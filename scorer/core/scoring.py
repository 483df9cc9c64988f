"""Engagement and fit scores of one lead under one model: pure functions on ModelState, and
`score_lead`, one event scored on every model of a lead.

Caps: a rule's positive points are capped per period bucket (day, ISO week, month, ever);
negative points are never capped. Only the last few buckets per rule are kept, which is
enough for events arriving a little out of order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scorer.core.accounts import fit_traits
from scorer.core.decay import DAY, MAX_EXPONENT, at_anchor, rebase_factor, value_at
from scorer.core.facts import EventFacts
from scorer.core.rules import CompiledModel, fit_points, matching_rules, period_bucket
from scorer.core.state import LeadState, ModelState

__all__ = [
    "ModelScore",
    "merge_model",
    "model_score",
    "model_total",
    "ranked",
    "refresh_fit",
    "score_event",
    "score_lead",
    "told",
]

_BUCKETS_KEPT = 4


@dataclass(frozen=True, slots=True)
class ModelScore:
    engagement: float
    fit: float
    breakdown: list[tuple[str, float, float]]  # rule, points now, at

    @property
    def total(self) -> float:
        return self.engagement + self.fit


def _rebase_if_needed(state: ModelState, t: float, half_life: float) -> None:
    if (t - state.anchor) / (half_life * DAY) <= MAX_EXPONENT:
        return
    factor = rebase_factor(state.anchor, t, half_life)
    for entry in state.engagement.values():
        entry[0] *= factor
    state.anchor = t


def score_event(
    state: ModelState, model: CompiledModel, facts: EventFacts
) -> list[tuple[str, float]]:
    """Add this event's points (after caps) to `state`; return (rule, points) awarded."""
    half_life = model.model.half_life_days
    _rebase_if_needed(state, facts.t, half_life)
    awarded: list[tuple[str, float]] = []
    for rule in matching_rules(model, facts):
        points = rule.points
        if rule.cap is not None and points > 0:
            buckets = state.caps.setdefault(rule.name, {})
            bucket = period_bucket(rule.cap.per, facts.t)
            used = buckets.get(bucket, 0.0)
            points = max(0.0, min(points, rule.cap.points - used))
            if points <= 0:
                continue
            buckets[bucket] = used + points
            if len(buckets) > _BUCKETS_KEPT:
                for old in sorted(buckets)[: len(buckets) - _BUCKETS_KEPT]:
                    del buckets[old]
        entry = state.engagement.setdefault(rule.name, [0.0, facts.t])
        entry[0] += at_anchor(points, facts.t, state.anchor, half_life)
        entry[1] = max(entry[1], facts.t)
        awarded.append((rule.name, points))
    return awarded


def refresh_fit(
    state: ModelState,
    model: CompiledModel,
    traits: Mapping[str, Any],
    email: str | None,
    lists: Mapping[str, frozenset[str]],
) -> bool:
    """Recompute fit from the lead's traits; return whether it changed. When it was last
    told is `told`'s business: it must not depend on the order traits arrived in."""
    fit = fit_points(model, traits, email, lists)
    if fit == state.fit:
        return False
    state.fit = fit
    return True


def told(state: ModelState, t: float) -> None:
    """The lead's traits or email were told at `t`: the fit rows' time is the newest such
    time of the lead's own events (and of the leads merged into it), a max, so the same
    events give the same time in any order."""
    state.fit_at = max(state.fit_at, t)


def score_lead(
    state: LeadState,
    models: Sequence[CompiledModel],
    facts: EventFacts,
    lists: Mapping[str, frozenset[str]],
    *,
    refit: bool,
) -> tuple[list[tuple[str, float]], dict[str, float]]:
    """Score one event (not noise) on each model, in order: the points each rule awarded,
    and each model's sum. Fit depends only on traits and email: recomputed when `refit`
    (they changed) and for a model new to the lead."""
    awarded: list[tuple[str, float]] = []
    points: dict[str, float] = {}
    traits: Mapping[str, Any] | None = None  # worked out once, for the first model to refit
    for model in models:
        ms = state.models.get(model.name)
        new_model = ms is None
        if ms is None:
            ms = state.models[model.name] = ModelState(
                anchor=state.created, half_life_days=model.model.half_life_days
            )
        earned = score_event(ms, model, facts)
        points[model.name] = sum([p for _, p in earned])
        awarded += earned
        if refit or new_model:
            traits = fit_traits(state) if traits is None else traits
            refresh_fit(ms, model, traits, state.email, lists)
        if facts.traits or facts.email:
            told(ms, facts.t)
    return awarded, points


def ranked(breakdown: list[tuple[str, float, float]]) -> list[tuple[str, float, float]]:
    """Rows heaviest first; equal weights by rule name, so the order never depends on which
    rule fired first (a merge or a rescore may see them fire in another order)."""
    return sorted(breakdown, key=lambda row: (-abs(row[1]), row[0]))


def model_score(state: ModelState, half_life: float, t: float) -> ModelScore:
    """The model's score at time `t`; the breakdown sums exactly to the total."""
    breakdown: list[tuple[str, float, float]] = []
    for rule, (stored, last) in state.engagement.items():
        breakdown.append((rule, value_at(stored, state.anchor, t, half_life), last))
    engagement = sum(points for _, points, _ in breakdown)
    fit_rows = [(rule, points, state.fit_at) for rule, points in state.fit.items()]
    breakdown += fit_rows
    return ModelScore(
        engagement=engagement, fit=sum(points for _, points, _ in fit_rows), breakdown=breakdown
    )


def model_total(state: ModelState | None, half_life: float, t: float) -> float:
    """engagement + fit at time `t`, without building the breakdown (the hot path)."""
    if state is None:
        return 0.0
    stored = sum([entry[0] for entry in state.engagement.values()])
    return value_at(stored, state.anchor, t, half_life) + sum(state.fit.values())


def merge_model(dst: ModelState, src: ModelState, model: CompiledModel) -> None:
    """Fold a merged-away identity's engagement and caps into the survivor's.

    Both may have filled the same cap period (the anonymous and the known side each read
    pricing three times this week): the points over the cap come off the rule's value, as
    if the later reads had been capped, so a merge never scores past a cap.
    """
    half_life = model.model.half_life_days
    factor = rebase_factor(src.anchor, dst.anchor, half_life)
    last_seen: dict[str, tuple[float, float]] = {}
    for rule, (stored, last) in src.engagement.items():
        entry = dst.engagement.setdefault(rule, [0.0, last])
        last_seen[rule] = (entry[1], last)
        entry[0] += stored * factor
        entry[1] = max(entry[1], last)
    caps = {rule.name: rule.cap for rule in model.model.rules if rule.cap is not None}
    for rule, buckets in src.caps.items():
        mine = dst.caps.setdefault(rule, {})
        cap = caps.get(rule)
        for bucket, used in buckets.items():
            total = mine.get(bucket, 0.0) + used
            if cap is not None and total > cap.points and rule in dst.engagement:
                # The excess was earned in this bucket: take it off at the latest time
                # either side scored the rule in that period.
                times = [t for t in last_seen.get(rule, ()) if period_bucket(cap.per, t) == bucket]
                when = max(times) if times else dst.engagement[rule][1]
                excess = total - cap.points
                dst.engagement[rule][0] -= at_anchor(excess, when, dst.anchor, half_life)
                total = cap.points
            mine[bucket] = total
