"""`leadpulse check-config` names every bad field and exits non-zero; start-up shares it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from leadpulse.cli.main import app
from leadpulse.kernel.config import ConfigError, default_config_path, load_config

runner = CliRunner()


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return path


def _default() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(default_config_path().read_text())


def test_packaged_default_config_is_valid() -> None:
    """The config `leadpulse dev` runs with passes its own check."""
    result = runner.invoke(app, ["check-config", str(default_config_path())])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output


@pytest.mark.parametrize(
    ("mutate", "named"),
    [
        (
            lambda c: c["scoring"]["models"][0].update(half_life_days=-1),
            "scoring.models.0.half_life_days",
        ),
        (
            lambda c: c["scoring"]["models"][0]["rules"][0].update(points="lots"),
            "scoring.models.0.rules.0.points",
        ),
        (
            lambda c: c["scoring"]["models"][0]["fit"][0].update(pattern="(a)\\1"),
            "scoring.models.0.fit.0.pattern",
        ),
        (lambda c: c["scoring"]["accounts"].update(score="median"), "scoring.accounts.score"),
        (
            lambda c: c["routing"].update(routes=[{"destinations": ["nowhere"]}]),
            "routing.routes.0.destinations.0",
        ),
        (lambda c: c["scoring"]["stages"].update(pause_dayz=3), "scoring.stages.pause_dayz"),
        (
            lambda c: c["scoring"]["models"].append(dict(c["scoring"]["models"][0])),
            "duplicate model name",
        ),
        (lambda c: c["predict"].update(horizon_days=0), "predict.horizon_days"),
        (
            lambda c: c["predict"].update(decision_stages=["mql", "qualified"]),
            "predict.decision_stages.1",
        ),
        (lambda c: c["predict"].update(decision_stages=[]), "predict.decision_stages"),
        (lambda c: c["predict"].update(naive_bayes_below=-1), "predict.naive_bayes_below"),
        (
            lambda c: c["predict"].update(models=[{"name": "default"}, {"name": "default"}]),
            "predict.models.1.name: duplicate model name",
        ),
    ],
    ids=[
        "negative-half-life",
        "points-not-a-number",
        "backreference-not-re2",
        "unknown-account-mode",
        "unknown-destination",
        "misspelt-key",
        "duplicate-model",
        "zero-horizon",
        "unknown-decision-stage",
        "no-decision-stage",
        "negative-naive-bayes-count",
        "duplicate-predict-model",
    ],
)
def test_bad_field_is_named(tmp_path: Path, mutate, named: str) -> None:  # type: ignore[no-untyped-def]
    """Each kind of mistake is reported with the path of the field that holds it."""
    config = _default()
    mutate(config)
    result = runner.invoke(app, ["check-config", str(_write(tmp_path, config))])
    assert result.exit_code == 2
    assert named in result.output.replace("\n", " ")


def test_every_problem_is_listed_not_only_the_first(tmp_path: Path) -> None:
    """Two mistakes in one file give two lines."""
    config = _default()
    config["scoring"]["models"][0]["threshold"] = "high"
    config["routing"]["throttle_minutes"] = -5
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, config))
    joined = " ".join(caught.value.problems)
    assert "scoring.models.0.threshold" in joined and "routing.throttle_minutes" in joined


@pytest.mark.parametrize(
    ("text", "message"),
    [("scoring: [unclosed", "not valid YAML"), ("- a list", "top level must be a mapping")],
    ids=["broken-yaml", "not-a-mapping"],
)
def test_unreadable_files_are_explained(tmp_path: Path, text: str, message: str) -> None:
    """A file that is not YAML, or not a mapping, says so."""
    result = runner.invoke(app, ["check-config", str(_write(tmp_path, text))])
    assert result.exit_code == 2
    assert message in result.output


def test_missing_file_is_explained(tmp_path: Path) -> None:
    """A path with no file behind it is an error that names the path."""
    result = runner.invoke(app, ["check-config", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "cannot read" in result.output
