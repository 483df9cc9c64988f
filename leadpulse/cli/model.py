"""`leadpulse model ...`: the predictive score's versions and its backtest, for people."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from leadpulse.dev.state import missing_addresses, with_dev_state
from leadpulse.kernel.logs import configure_logging
from leadpulse.kernel.settings import Settings, with_dev_keys

__all__ = ["model_app"]

model_app = typer.Typer(help="The predictive conversion score (p_convert).", no_args_is_help=True)
out = Console()
err = Console(stderr=True)


def _settings(*needs: str) -> Settings:
    settings = with_dev_state(with_dev_keys(Settings()))
    configure_logging(settings.log_format, settings.log_level)
    problem = missing_addresses(settings, needs)
    if problem is not None:
        err.print(f"[bold red]error[/]: {problem}", soft_wrap=True)
        raise typer.Exit(2)
    return settings


ModelName = Annotated[
    str, typer.Option("--model", help="which of `predict.models` (default: `default`)")
]


def _when(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M") if t else "-"


@model_app.command("status")
def status(model: ModelName = "default") -> None:
    """Live and shadow versions, and every version trained."""
    from scorer.predict import model_status

    data = asyncio.run(model_status(_settings("redis_url"), model))
    table = Table("version", "state", "learner", "outcomes", "won", "features", "newest outcome")
    for v in data["versions"]:
        state = "live" if v["version"] == data["live"] else ""
        state = "shadow" if v["version"] == data["shadow"] else state
        table.add_row(
            str(v["version"]),
            state,
            v["kind"],
            str(v["examples"]),
            str(v["positives"]),
            str(v["features"]),
            _when(v["trained_until"]),
        )
    out.print(table)
    if data["live"] is None:
        out.print("no model yet: p_convert appears once CRM outcomes have trained one")
    else:
        shadow = f", shadow {data['shadow']}" if data["shadow"] is not None else ""
        out.print(f"live: version {data['live']}{shadow}")


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _bins(title: str, scores: Any) -> Table:
    table = Table("bin", "leads", "predicted", "observed", title=title)
    for b in scores.bins:
        table.add_row(
            f"{b.low:.1f}-{b.high:.1f}",
            str(b.count),
            f"{b.predicted:.3f}",
            f"{b.observed:.3f}",
        )
    return table


@model_app.command("report")
def report(
    split: Annotated[float, typer.Option(min=0.1, max=0.9, help="share trained on")] = 0.5,
    model: ModelName = "default",
) -> None:
    """Backtest: train on the outcomes before a time split, test on those after it."""
    from scorer.predict import model_backtest

    result = asyncio.run(model_backtest(_settings("kafka_bootstrap"), split, model))
    if result is None:
        out.print("not enough outcomes to backtest yet (each side of the split needs one)")
        raise typer.Exit(1)
    p, rules = result.p_convert, result.rules_score
    table = Table("", "p_convert", "rules score", title=f"backtest: {p.n} later outcomes")
    for name, attr in (("AUC", "auc"), ("log-loss", "log_loss"), ("Brier", "brier")):
        table.add_row(name, _figure(getattr(p, attr)), _figure(getattr(rules, attr)))
    table.add_row("ECE (10 bins)", _figure(p.ece), _figure(rules.ece))
    out.print(table)
    out.print(_bins("reliability: p_convert", p))
    out.print(_bins("reliability: rules score (Platt-mapped)", rules))
    out.print(
        f"trained on {result.trained_on} outcomes before {_when(result.split_at)} "
        f"({result.kind}); tested on {p.n} after ({p.positives} won): p_convert AUC "
        f"{p.auc:.3f} against the rules score's {rules.auc:.3f}, calibration error "
        f"{_figure(p.ece)}"
    )


@model_app.command("train")
def train_now(
    shadow: Annotated[bool, typer.Option(help="publish in shadow, not live")] = False,
    model: ModelName = "default",
) -> None:
    """Train on every outcome now and publish a version (the trainer does it by itself)."""
    from scorer.predict import model_train

    settings = _settings("kafka_bootstrap", "redis_url")
    version = asyncio.run(model_train(settings, shadow=shadow, name=model))
    if version is None:
        out.print("no outcomes yet: nothing to train on")
        raise typer.Exit(1)
    out.print(f"published version {version}{' in shadow' if shadow else ''}")


@model_app.command("promote")
def promote(
    version: Annotated[int, typer.Argument(help="the version to make live")],
    model: ModelName = "default",
) -> None:
    """Make a version (the shadow one, usually) live: alerts carry it from now on."""
    from scorer.predict import model_promote

    try:
        asyncio.run(model_promote(_settings("redis_url"), version, model))
    except KeyError as exc:
        err.print(f"[bold red]error[/]: no version {version}")
        raise typer.Exit(2) from exc
    out.print(f"version {version} is live")


@model_app.command("rollback")
def rollback(
    version: Annotated[int, typer.Argument(help="the earlier version")],
    model: ModelName = "default",
) -> None:
    """Make an earlier version live again."""
    from scorer.predict import model_rollback

    try:
        asyncio.run(model_rollback(_settings("redis_url"), version, model))
    except KeyError as exc:
        err.print(f"[bold red]error[/]: no version {version}")
        raise typer.Exit(2) from exc
    out.print(f"version {version} is live")
