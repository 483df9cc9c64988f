"""A lead's features for the predictive score: pure, binary, named `kind:value`.

At a moment `t` (the decision, or the lead's latest event for a live prediction):
engagement band, page views, nurturing, engaging, fast-pass and webinar events, velocity
and age, all from the lead's steps up to `t`; who the lead was then (`profile`: fit rules,
industry, size band, seniority, email domain kind, account), as the latest step up to `t`
recorded it; first channel and campaign.
Consideration stage and interests are not used: the state keeps them as running counts
with no time, so they would let post-decision visits leak into a snapshot.
"""

from __future__ import annotations

import math

from scorer.core.config import Rules
from scorer.core.conversion.profile import band, profile_at, profile_of
from scorer.core.decay import DAY
from scorer.core.state import LeadState
from scorer.core.steps import FIT

__all__ = ["features_of", "score_at"]


def _decay_rate(half_life_days: float) -> float:
    return math.log(2) / (half_life_days * DAY)


def score_at(state: LeadState, rules: Rules, t: float) -> float:
    """The primary model's score at `t` from the lead's steps up to `t` alone."""
    model = rules.compiled.models[0]
    name, rate = model.name, _decay_rate(model.model.half_life_days)
    engagement = fit = 0.0
    for step in state.steps:
        at = float(step[0])
        if at > t:
            break
        engagement += float(step[3].get(name, 0.0)) * math.exp(-rate * (t - at))
        if len(step) > FIT and step[FIT]:
            fit = float(step[FIT].get(name, fit))
    return engagement + fit


def features_of(state: LeadState, rules: Rules, t: float) -> list[str]:
    """The lead's features at `t`, sorted (so equal inputs give equal lists).

    Behaviour comes from the lead's steps up to `t` only (its stage-relevant record of
    each event, in event-time order), so the same moment gives the same features however
    the lead got there: live, re-walked after a merge, or rescored."""
    out: set[str] = set()
    model = rules.compiled.models[0]
    name, rate = model.name, _decay_rate(model.model.half_life_days)
    week = t - 7 * DAY
    engagement = 0.0
    pages = nurturing = engaging = recent = 0
    fast_pass = webinar = False
    for step in state.steps:  # the hot loop of a prediction: plain comparisons only
        at = step[0]
        if at > t:
            break
        points = step[3].get(name)
        if points:
            engagement += points * math.exp(-rate * (t - at))
        flags = step[2]
        if flags:
            pages += "p" in flags
            nurturing += "n" in flags
            engaging += "e" in flags
            fast_pass = fast_pass or "f" in flags
            webinar = webinar or "w" in flags
        recent += at > week
    out.add(f"pages:{band(pages, (2, 5, 10, 20))}")
    out.add(f"nurturing:{min(nurturing, 3)}")
    out.add(f"engaging:{band(engaging, (3, 6, 12, 24))}")
    if fast_pass:
        out.add("fast_pass:yes")
    if webinar:
        out.add("webinar_attended:yes")
    out.add(f"engagement:{band(engagement, (25, 50, 100, 150))}")
    out.add(f"velocity7d:{band(recent, (2, 5, 10, 20))}")
    out.add(f"age:{band((t - state.created) / DAY, (1, 7, 14, 28))}d")
    # Who the lead was at `t`, as its steps recorded it (legacy steps: as it is now).
    out.update(profile_at(state.steps, t) or profile_of(state, rules))
    if state.history:
        first = state.history[0]
        out.add(f"source:{first[4] if len(first) > 4 and first[4] else 'direct'}")
        if len(first) > 5 and first[5]:
            out.add(f"campaign:{first[5]}")
    return sorted(out)
