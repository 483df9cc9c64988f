"""The one YAML config (`LP_CONFIG`): loaded once, validated, frozen.

`leadpulse check-config` and every service's start-up share `load_config`, so a bad file
fails the same way everywhere, with each bad field named by its path and value.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import re2
import yaml
from pydantic import Field, ValidationError

from leadpulse.kernel.config._base import ConfigModel
from leadpulse.kernel.config.collect import CollectConfig, SiteConfig
from leadpulse.kernel.config.connectors import CrmConfig
from leadpulse.kernel.config.predict import PredictConfig
from leadpulse.kernel.config.routing import RoutingConfig
from leadpulse.kernel.config.scoring import ScoringConfig
from leadpulse.kernel.errors import LeadPulseError

_CRM_TYPES = ("hubspot", "salesforce")

__all__ = ["ConfigError", "LeadPulseConfig", "default_config_path", "load_config"]


class LeadPulseConfig(ConfigModel):
    site: SiteConfig = SiteConfig()
    collect: CollectConfig = CollectConfig()
    scoring: ScoringConfig
    routing: RoutingConfig = RoutingConfig()
    crm: CrmConfig = CrmConfig()
    predict: PredictConfig = PredictConfig()
    notes: dict[str, Any] = Field(default_factory=dict, description="free-form, ignored")

    @property
    def crm_score_step(self) -> float | None:
        """The score move that makes a lead change due, or None with no CRM destination:
        then no lead change is published at all."""
        connected = any(d.type in _CRM_TYPES for d in self.routing.destinations)
        return self.crm.score_step if connected else None


class ConfigError(LeadPulseError, ValueError):
    """A config file that cannot be used; `problems` lists `path: message` lines."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


def default_config_path() -> Path:
    return Path(str(resources.files("leadpulse.kernel.config").joinpath("default.yaml")))


def load_config(path: Path | None = None) -> LeadPulseConfig:
    """Read, validate and freeze a config file; raise ConfigError naming every bad field."""
    path = path or default_config_path()
    source = str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(source, [f"cannot read: {exc.strerror}"]) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(source, [f"not valid YAML: {exc}"]) from exc
    if not isinstance(raw, dict):
        raise ConfigError(source, ["the top level must be a mapping"])
    try:
        config = LeadPulseConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(source, [_describe(err) for err in exc.errors()]) from exc
    problems = _semantic_problems(config)
    if problems:
        raise ConfigError(source, problems)
    return config


def _describe(err: Any) -> str:
    where = ".".join(str(part) for part in err["loc"]) or "(top level)"
    value = err.get("input")
    shown = "" if isinstance(value, dict | list) else f" (got {value!r})"
    return f"{where}: {err['msg']}{shown}"


def _semantic_problems(config: LeadPulseConfig) -> list[str]:
    """What a schema cannot say: regexes compile under RE2, names are unique and known."""
    problems: list[str] = []
    scoring = config.scoring
    seen_models: set[str] = set()
    for m, model in enumerate(scoring.models):
        if model.name in seen_models:
            problems.append(f"scoring.models.{m}.name: duplicate model name {model.name!r}")
        seen_models.add(model.name)
        rule_names: set[str] = set()
        for r, rule in enumerate(model.rules):
            if rule.name in rule_names:
                problems.append(f"scoring.models.{m}.rules.{r}.name: duplicate {rule.name!r}")
            rule_names.add(rule.name)
            if rule.match.url_regex is not None:
                problems += _regex_problem(
                    f"scoring.models.{m}.rules.{r}.match.url_regex", rule.match.url_regex
                )
        for f, fit in enumerate(model.fit):
            if fit.pattern is not None:
                problems += _regex_problem(f"scoring.models.{m}.fit.{f}.pattern", fit.pattern)
            if (
                fit.pattern is None
                and fit.one_of is None
                and fit.in_list is None
                and fit.min is None
                and fit.max is None
            ):
                problems.append(
                    f"scoring.models.{m}.fit.{f}: needs pattern, one_of, list, min or max"
                )
    for d, disqualify in enumerate(scoring.stages.disqualify):
        if disqualify.pattern is not None:
            where = f"scoring.stages.disqualify.{d}.pattern"
            problems += _regex_problem(where, disqualify.pattern)
    predict_names = config.predict.names
    for m, name in enumerate(predict_names):
        if predict_names.index(name) != m:
            problems.append(f"predict.models.{m}.name: duplicate model name {name!r}")
    routing = config.routing
    names = [dest.name for dest in routing.destinations]
    for n, name in enumerate(names):
        if names.index(name) != n:
            problems.append(f"routing.destinations.{n}.name: duplicate {name!r}")
    known = set(names) | {"default_webhook", "default_slack"}
    crm = {dest.name for dest in routing.destinations if dest.type in _CRM_TYPES}
    for n, destination in enumerate(routing.destinations):
        if destination.type not in _CRM_TYPES and not destination.url:
            problems.append(
                f"routing.destinations.{n}.url: a {destination.type} destination needs one"
            )
    for r, route in enumerate(routing.routes):
        for d, dest in enumerate(route.destinations):
            if dest not in known:
                problems.append(
                    f"routing.routes.{r}.destinations.{d}: unknown destination {dest!r}"
                )
            elif dest in crm:
                problems.append(
                    f"routing.routes.{r}.destinations.{d}: {dest!r} is a CRM connector: it"
                    " takes lead changes, not alerts"
                )
    return problems


def _regex_problem(where: str, pattern: str) -> list[str]:
    try:
        re2.compile(pattern)
    except re2.error as exc:
        return [f"{where}: not a valid RE2 regex {pattern!r} ({exc})"]
    return []
