"""A lead's features for the predictive score: pure, binary, named `kind:value`.

Taken from the lead's state as it is at a moment (the decision snapshot, or now for a live
prediction): rule hits and engagement band, fit rules, fit traits (industry, size band,
seniority, email domain kind), consideration stage, top interests, first channel and
campaign, account, and recency and velocity. Nothing here reads the clock: `t` is the
moment the features describe, so a snapshot never sees what came after it.
"""

from __future__ import annotations

import re

from scorer.content import lead_consideration, top_interests
from scorer.context import Rules
from scorer.decay import DAY, value_at
from scorer.rules import email_domain
from scorer.state import LeadState

__all__ = ["features_of"]

_SENIOR = re.compile(r"(?i)\b(vp|vice president|director|head of|chief|c[tmfie]o|founder)\b")
_MANAGER = re.compile(r"(?i)\bmanager\b")


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


def features_of(state: LeadState, rules: Rules, t: float) -> list[str]:
    """The lead's features at `t`, sorted (so equal states give equal lists)."""
    out: set[str] = set()
    model = rules.compiled.models[0]
    ms = state.models.get(model.name)
    engagement = 0.0
    if ms is not None:
        for rule, (value, _last) in ms.engagement.items():
            points = value_at(value, ms.anchor, t, ms.half_life_days)
            engagement += points
            if points > 0.5:
                out.add(f"rule:{rule}")
        out.update(f"fit:{rule}" for rule, points in ms.fit.items() if points)
    out.add(f"engagement:{_band(engagement, (25, 50, 100, 150))}")
    traits = state.traits
    if traits.get("industry"):
        out.add(f"industry:{str(traits['industry']).lower()}")
    size = _size(traits.get("company_size"))
    if size is not None:
        out.add(f"size:{size}")
    out.add(f"seniority:{_seniority(traits.get('title'))}")
    out.add(f"domain:{_domain_kind(state, rules)}")
    out.add(f"consideration:{lead_consideration(state.consideration) or 'none'}")
    out.update(f"interest:{topic}" for topic in top_interests(state.topics))
    if state.history:
        first = state.history[0]
        out.add(f"source:{first[4] if len(first) > 4 and first[4] else 'direct'}")
        if len(first) > 5 and first[5]:
            out.add(f"campaign:{first[5]}")
    if state.account:
        out.add("account:known")
    recent = sum(1 for step in state.steps if t - 7 * DAY <= float(step[0]) <= t)
    out.add(f"velocity7d:{_band(recent, (2, 5, 10, 20))}")
    out.add(f"age:{_band((t - state.created) / DAY, (1, 7, 14, 28))}d")
    return sorted(out)
