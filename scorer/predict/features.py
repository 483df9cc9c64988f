"""A lead's features for the predictive score: pure, binary, named `kind:value`.

At a moment `t` (the decision, or the lead's latest event for a live prediction):
engagement band, page views, nurturing, engaging, fast-pass and webinar events, velocity
and age, all from the lead's steps up to `t`; fit rules and fit traits (industry, size
band, seniority, email domain kind); first channel and campaign; account. Traits are
as they are now: a person's title or company, not something it did after the decision.
Consideration stage and interests are not used: the state keeps them as running counts
with no time, so they would let post-decision visits leak into a snapshot.
"""

from __future__ import annotations

import math
import re

from scorer.context import Rules
from scorer.decay import DAY
from scorer.rules import email_domain
from scorer.state import LeadState

__all__ = ["features_of", "score_at"]

_SENIOR = re.compile(r"(?i)\b(vp|vice president|director|head of|chief|c[tmfie]o|founder)\b")
_MANAGER = re.compile(r"(?i)\bmanager\b")
_JUNIOR = re.compile(r"(?i)\b(analyst|associate|assistant|intern|coordinator|junior)\b")


def _band(value: float, edges: tuple[float, ...]) -> str:
    for edge in edges:
        if value < edge:
            return f"<{edge:g}"
    return f">={edges[-1]:g}"


def _size(value: object) -> str | None:
    try:
        size = float(str(value))
    except ValueError:
        return None
    return _band(size, (50, 120, 1000, 5000))


def _seniority(title: object) -> str:
    text = str(title or "")
    if _SENIOR.search(text):
        return "senior"
    if _MANAGER.search(text):
        return "manager"
    if _JUNIOR.search(text):
        return "junior"
    return "other" if text else "unknown"


def _domain_kind(state: LeadState, rules: Rules) -> str:
    domain = email_domain(state.email)
    if domain is None:
        return "none"
    lists = rules.compiled.lists
    if domain in lists.get("competitor", frozenset()):
        return "competitor"
    if domain in lists.get("free_mail", frozenset()):
        return "free"
    return "business"


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
        if step[4]:
            fit = float(step[4].get(name, fit))
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
    out.add(f"pages:{_band(pages, (2, 5, 10, 20))}")
    out.add(f"nurturing:{min(nurturing, 3)}")
    out.add(f"engaging:{_band(engaging, (3, 6, 12, 24))}")
    if fast_pass:
        out.add("fast_pass:yes")
    if webinar:
        out.add("webinar_attended:yes")
    out.add(f"engagement:{_band(engagement, (25, 50, 100, 150))}")
    out.add(f"velocity7d:{_band(recent, (2, 5, 10, 20))}")
    out.add(f"age:{_band((t - state.created) / DAY, (1, 7, 14, 28))}d")
    ms = state.models.get(model.name)
    if ms is not None:
        # Fit rules read traits, which describe the person rather than what it did.
        out.update(f"fit:{rule}" for rule, points in ms.fit.items() if points)
    traits = state.traits
    if traits.get("industry"):
        out.add(f"industry:{str(traits['industry']).lower()}")
    size = _size(traits.get("company_size"))
    if size is not None:
        out.add(f"size:{size}")
    out.add(f"seniority:{_seniority(traits.get('title'))}")
    out.add(f"domain:{_domain_kind(state, rules)}")
    if state.history:
        first = state.history[0]
        out.add(f"source:{first[4] if len(first) > 4 and first[4] else 'direct'}")
        if len(first) > 5 and first[5]:
            out.add(f"campaign:{first[5]}")
    if state.account:
        out.add("account:known")
    return sorted(out)
