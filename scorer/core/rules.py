"""Scoring rules from the config, compiled once: engagement (with caps), fit, disqualify."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from leadpulse.kernel.config.scoring import (
    DisqualifyRule,
    EngagementRule,
    FitRule,
    ScoreModel,
    ScoringConfig,
)
from scorer.core.days import PerDay
from scorer.core.facts import EventFacts
from scorer.core.patterns import Pattern, compile_glob, compile_regex

__all__ = [
    "CompiledModel",
    "CompiledRules",
    "compile_rules",
    "disqualified_by",
    "email_domain",
    "fit_points",
    "matching_rules",
    "period_bucket",
]


@dataclass(frozen=True, slots=True)
class _Engagement:
    rule: EngagementRule
    url: Pattern | None
    url_regex: Pattern | None
    properties: tuple[tuple[str, Pattern], ...]


@dataclass(frozen=True, slots=True)
class _Fit:
    rule: FitRule
    pattern: Pattern | None


_MATCH_MEMO_MAX = 50_000


@dataclass(frozen=True, slots=True)
class CompiledModel:
    model: ScoreModel
    engagement: tuple[_Engagement, ...]
    fit: tuple[_Fit, ...]
    # When no rule looks at the URL's regex or at properties, what matches depends only on
    # (type, event name, path): remember it per such triple.
    memo: dict[tuple[str, str | None, str | None], list[EngagementRule]] | None = field(
        default=None, compare=False, repr=False
    )
    # the model's name, read for every lead an event reaches: a field, not a property
    name: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", self.model.name)


@dataclass(frozen=True, slots=True)
class CompiledRules:
    models: tuple[CompiledModel, ...]
    disqualify: tuple[tuple[DisqualifyRule, Pattern | None], ...]
    lists: Mapping[str, frozenset[str]]


def _ci(pattern: str) -> Pattern:
    return compile_regex(pattern if pattern.startswith("(?i)") else "(?i)" + pattern)


def _with_memo(model: CompiledModel) -> CompiledModel:
    static = all(c.url_regex is None and not c.properties for c in model.engagement)
    return replace(model, memo={}) if static else model


def compile_rules(config: ScoringConfig) -> CompiledRules:
    models = tuple(
        _with_memo(
            CompiledModel(
                model=model,
                engagement=tuple(
                    _Engagement(
                        rule=rule,
                        url=compile_glob(rule.match.url) if rule.match.url else None,
                        url_regex=compile_regex(rule.match.url_regex)
                        if rule.match.url_regex
                        else None,
                        properties=tuple(
                            (name, compile_glob(glob))
                            for name, glob in rule.match.properties.items()
                        ),
                    )
                    for rule in model.rules
                ),
                fit=tuple(
                    _Fit(rule=fit, pattern=_ci(fit.pattern) if fit.pattern else None)
                    for fit in model.fit
                ),
            )
        )
        for model in config.models
    )
    disqualify = tuple(
        (rule, _ci(rule.pattern) if rule.pattern else None) for rule in config.stages.disqualify
    )
    lists = {
        "free_mail": frozenset(d.lower() for d in config.free_mail_domains),
        "competitor": frozenset(d.lower() for d in config.competitor_domains),
        "target_accounts": frozenset(d.lower() for d in config.accounts.target_accounts),
    }
    return CompiledRules(models=models, disqualify=disqualify, lists=lists)


_GLOB_CACHE: dict[tuple[int, str], bool] = {}
_GLOB_CACHE_MAX = 50_000


def _path_matches(pattern: Pattern, path: str) -> bool:
    """Glob results per (pattern, path), cached: pages repeat far more than they vary."""
    key = (id(pattern), path)
    hit = _GLOB_CACHE.get(key)
    if hit is None:
        if len(_GLOB_CACHE) >= _GLOB_CACHE_MAX:
            _GLOB_CACHE.clear()
        hit = _GLOB_CACHE[key] = pattern.search(path) is not None
    return hit


def _matches(compiled: _Engagement, facts: EventFacts) -> bool:
    match = compiled.rule.match
    if match.type is not None and match.type != facts.kind:
        return False
    if match.event is not None and match.event != facts.name:
        return False
    if compiled.url is not None and not (facts.path and _path_matches(compiled.url, facts.path)):
        return False
    if compiled.url_regex is not None and not (facts.url and compiled.url_regex.search(facts.url)):
        return False
    for name, pattern in compiled.properties:
        value = facts.properties.get(name)
        if value is None or not pattern.search(value):
            return False
    return True


def matching_rules(model: CompiledModel, facts: EventFacts) -> list[EngagementRule]:
    """Every engagement rule of `model` this event matches (several may)."""
    memo = model.memo
    if memo is None:
        return [c.rule for c in model.engagement if _matches(c, facts)]
    key = (facts.kind, facts.name, facts.path)
    found = memo.get(key)
    if found is None:
        if len(memo) >= _MATCH_MEMO_MAX:
            memo.clear()
        found = memo[key] = [c.rule for c in model.engagement if _matches(c, facts)]
    return list(found)


def period_bucket(per: str, t: float) -> str:
    """The cap period an event time falls in: day, ISO week, month, or ever."""
    return _BUCKETS(t, per)


def _period_bucket(t: float, per: str) -> str:
    when = datetime.fromtimestamp(t, UTC)
    if per == "day":
        return when.strftime("d%Y-%m-%d")
    if per == "week":
        year, week, _ = when.isocalendar()
        return f"w{year}-{week:02d}"
    if per == "month":
        return when.strftime("m%Y-%m")
    return "ever"


_BUCKETS = PerDay(_period_bucket)


def email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].lower()


def _trait_value(traits: Mapping[str, Any], email: str | None, name: str) -> Any:
    if name == "email_domain":
        return email_domain(email)
    if name == "account_domain":
        # the account's website domain (scorer.handlers.account_info), else the lead's email domain
        return traits.get(name) or email_domain(email)
    return traits.get(name)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.replace(",", "").strip())
        except ValueError:
            return None
    return None


def _fit_holds(fit: _Fit, value: Any, lists: Mapping[str, frozenset[str]]) -> bool:
    if value is None or isinstance(value, dict | list):
        return False
    rule = fit.rule
    text = str(value).strip()
    if fit.pattern is not None and not fit.pattern.search(text):
        return False
    if rule.one_of is not None and text.lower() not in rule.one_of:
        return False
    if rule.in_list is not None and text.lower() not in lists[rule.in_list]:
        return False
    if rule.min is not None or rule.max is not None:
        number = _number(value)
        if number is None:
            return False
        if rule.min is not None and number < rule.min:
            return False
        if rule.max is not None and number > rule.max:
            return False
    return True


def fit_points(
    model: CompiledModel,
    traits: Mapping[str, Any],
    email: str | None,
    lists: Mapping[str, frozenset[str]],
) -> dict[str, float]:
    """Fit rule -> points for these traits; rules that do not hold are absent."""
    return {
        fit.rule.name: fit.rule.points
        for fit in model.fit
        if _fit_holds(fit, _trait_value(traits, email, fit.rule.trait), lists)
    }


def disqualified_by(
    rules: CompiledRules, traits: Mapping[str, Any], email: str | None
) -> str | None:
    """The name of the first disqualify rule these traits meet, if any."""
    for rule, pattern in rules.disqualify:
        value = _trait_value(traits, email, rule.trait)
        if value is None or isinstance(value, dict | list):
            continue
        text = str(value)
        if pattern is not None and not pattern.search(text):
            continue
        if rule.in_list is not None and text.lower() not in rules.lists[rule.in_list]:
            continue
        return rule.name
    return None
