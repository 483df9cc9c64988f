"""Who a lead is, as features: fit rules hit, industry, size band, seniority, email domain
kind, account. Recorded on the lead's steps, so a snapshot reads it as it was then.

A step records the lead's profile (`profile_of`, from its traits, email and account once
the event applied) when the lead is identified and the profile differs from the one in
effect at that step's time (`profile_at`: the profile of the latest step up to it that has
one). So a decision's snapshot takes the profile from the steps up to the decision, like
the behaviour it reads: a title changed after the decision does not leak in, and a snapshot
made again later (a merge re-walks the lead) reads the same profile. Steps recorded before
profiles were (no step up to the moment has one) read the lead's profile now.
"""

from __future__ import annotations

import re
from typing import Any

from scorer.core.config import Rules
from scorer.core.rules import email_domain
from scorer.core.state import LeadState
from scorer.core.steps import PROFILE

__all__ = ["band", "profile_at", "profile_of", "profile_to_record"]

_SENIOR = re.compile(r"(?i)\b(vp|vice president|director|head of|chief|c[tmfie]o|founder)\b")
_MANAGER = re.compile(r"(?i)\bmanager\b")
_JUNIOR = re.compile(r"(?i)\b(analyst|associate|assistant|intern|coordinator|junior)\b")


def band(value: float, edges: tuple[float, ...]) -> str:
    for edge in edges:
        if value < edge:
            return f"<{edge:g}"
    return f">={edges[-1]:g}"


def _size(value: object) -> str | None:
    try:
        size = float(str(value))
    except ValueError:
        return None
    return band(size, (50, 120, 1000, 5000))


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


def profile_of(state: LeadState, rules: Rules) -> list[str]:
    """The lead's profile features now, sorted."""
    out: set[str] = set()
    ms = state.models.get(rules.compiled.models[0].name)
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
    if state.account:
        out.add("account:known")
    return sorted(out)


def profile_at(steps: list[list[Any]], t: float) -> list[str] | None:
    """The profile recorded by the latest step at or before `t`; None if none has one."""
    found: list[str] | None = None
    for step in steps:
        if step[0] > t:
            break
        if len(step) > PROFILE and step[PROFILE] is not None:
            found = step[PROFILE]
    return found


def _profile_by(steps: list[list[Any]], t: float) -> bool:
    """`profile_at(steps, t) is not None`, from the oldest step on: a lead's first profile
    is near its first identified step, so this stops early where `profile_at` reads on."""
    for step in steps:
        if step[0] > t:
            return False
        if len(step) > PROFILE and step[PROFILE] is not None:
            return True
    return False


def profile_to_record(
    state: LeadState, rules: Rules, t: float, traits_changed: bool
) -> list[str] | None:
    """What the step at `t` of an identified lead records: its profile when it differs from
    the one in effect then (or none is), else None."""
    if not traits_changed and _profile_by(state.steps, t):
        return None
    held = profile_at(state.steps, t)
    now = profile_of(state, rules)
    return None if now == held else now
