"""The `leadpulse` command: the composition root, and the one place that catches signals."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from leadpulse.cli.crm import crm_app
from leadpulse.cli.events_dlq import events_dlq_app
from leadpulse.cli.model import model_app
from leadpulse.dev.state import missing_addresses, with_dev_state
from leadpulse.kernel.config import ConfigError, LeadPulseConfig, load_config
from leadpulse.kernel.errors import ServiceStopped
from leadpulse.kernel.logs import configure_logging
from leadpulse.kernel.settings import Settings, with_dev_keys

__all__ = ["app", "main"]

app = typer.Typer(
    help="LeadPulse: real-time behavioral tracking, lead scoring and sales alerts.",
    no_args_is_help=True,
    add_completion=False,
)
dlq_app = typer.Typer(help="Alerts that could not be delivered.", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")
app.add_typer(crm_app, name="crm")
app.add_typer(events_dlq_app, name="events-dlq")
app.add_typer(model_app, name="model")
console = Console(stderr=True)

Service = Callable[[Settings, LeadPulseConfig, asyncio.Event], Awaitable[None]]


def _load(
    *, beside_dev: bool = False, needs: tuple[str, ...] = ()
) -> tuple[Settings, LeadPulseConfig]:
    """Settings and config. A command run `beside_dev` takes what was not set from the
    running `leadpulse dev` of its data dir; one that `needs` the broker or Valkey and has
    no address for it says in one line what to set."""
    settings = with_dev_keys(Settings())
    configure_logging(settings.log_format, settings.log_level)
    if beside_dev or needs:
        settings = with_dev_state(settings)
        problem = missing_addresses(settings, needs)
        if problem is not None:
            console.print(f"[bold red]error[/]: {escape(problem)}", soft_wrap=True)
            raise typer.Exit(2)
    try:
        config = load_config(settings.config)
    except ConfigError as exc:
        _print_config_error(exc)
        raise typer.Exit(2) from exc
    return settings, config


def load_for_command(
    *, beside_dev: bool = False, needs: tuple[str, ...] = ()
) -> tuple[Settings, LeadPulseConfig]:
    """`_load` for the command groups kept in their own modules."""
    return _load(beside_dev=beside_dev, needs=needs)


def _print_config_error(exc: ConfigError) -> None:
    console.print(f"[bold red]config error[/] in {exc.source}:")
    for problem in exc.problems:
        console.print(f"  - {problem}")


async def _until_signalled(service: Service, settings: Settings, config: LeadPulseConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await service(settings, config, stop)


def _serve(service: Service) -> None:
    settings, config = _load()
    try:
        asyncio.run(_until_signalled(service, settings, config))
    except ServiceStopped as exc:
        # Logged by the service already: exit 1 for the supervisor to start it again.
        raise typer.Exit(1) from exc


@app.command()
def dev() -> None:
    """Run the whole stack on this machine: broker, Valkey, ingest, scorer, router."""
    from leadpulse.dev.supervisor import run_dev

    settings, _ = _load()
    raise typer.Exit(run_dev(settings, console))


@app.command()
def ingest(
    workers: Annotated[int, typer.Option(help="uvicorn worker processes")] = 1,
) -> None:
    """Run the HTTP edge (collection, read API, dashboard)."""
    if workers > 1:
        import shutil

        import uvicorn

        settings, _ = _load()
        # Each worker is a process: Prometheus counts are summed across them from files.
        metrics_dir = settings.data_dir.resolve() / "prometheus"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        uvicorn.run(
            "ingest.app:create_app_from_env",
            factory=True,
            host=settings.http_host,
            port=settings.http_port,
            workers=workers,
            log_level="warning",
            # Ingest trusts X-Forwarded-For only from LP_TRUSTED_PROXIES, itself; and token
            # paths carry signed emails, which an access log would write out.
            proxy_headers=False,
            access_log=False,
        )
        return
    from ingest import run

    _serve(run)


@app.command()
def scorer() -> None:
    """Run a scorer: consume events, apply rules and stages in Valkey, publish alerts."""
    from scorer import run

    _serve(run)


@app.command()
def router() -> None:
    """Run a router: deliver alerts to webhooks and Slack, dead-letter what fails."""
    from router import run

    _serve(run)


@app.command()
def rescore() -> None:
    """Rebuild all scoring state from the events topic with the current rules."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from scorer import rescore as run_rescore

    settings, config = _load(needs=("kafka_bootstrap", "redis_url"))
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        "{task.fields[rate]} events/s",
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("rescoring", total=None, rate="-")

        def report(done: int, total: int) -> None:
            elapsed = progress.tasks[task].elapsed or 0.0
            rate = f"{done / elapsed:,.0f}" if elapsed > 0 else "-"
            progress.update(task, completed=done, total=total, rate=rate)

        applied = asyncio.run(run_rescore(settings, config, report))
    console.print(f"rescored: {applied} events applied")


@app.command("check-config")
def check_config(file: Annotated[Path, typer.Argument(help="YAML config file")]) -> None:
    """Validate a config file, naming each bad field; exit 2 when it is not usable."""
    try:
        config = load_config(file)
    except ConfigError as exc:
        _print_config_error(exc)
        raise typer.Exit(2) from exc
    models = ", ".join(model.name for model in config.scoring.models)
    console.print(f"[green]ok[/]: {file} (score models: {models})")


@app.command()
def link(
    url: Annotated[str, typer.Argument(help="where the click should land")],
    email: Annotated[str, typer.Option(help="the recipient")],
    campaign: Annotated[str | None, typer.Option(help="utm campaign")] = None,
    expires_in_days: Annotated[int | None, typer.Option(help="token lifetime")] = None,
) -> None:
    """Mint a tracked click URL and an open-pixel URL for one email recipient."""
    from ingest import mint_links

    settings, config = _load(beside_dev=True)
    try:
        links = mint_links(settings, config, url, email, campaign, expires_in_days)
    except ValueError as exc:
        console.print(f"[bold red]error[/]: {exc}")
        raise typer.Exit(2) from exc
    for name, value in links.items():
        typer.echo(f"{name}: {value}")


@app.command()
def simulate(
    leads: Annotated[int, typer.Option(help="how many buyer journeys")] = 100,
    rate: Annotated[float, typer.Option(help="events per second (0: as fast as it goes)")] = 0,
    url: Annotated[str | None, typer.Option(help="ingest base URL")] = None,
    seed: Annotated[int, typer.Option(help="random seed, for repeatable runs")] = 7,
) -> None:
    """Send realistic buyer journeys to a running ingest (demo data and load)."""
    from leadpulse.dev.simulate import run_simulation

    settings, _ = _load(beside_dev=True)
    sent = asyncio.run(run_simulation(settings, leads=leads, rate=rate, url=url, seed=seed))
    console.print(f"simulated {leads} journeys: {sent} events accepted")


@dlq_app.command("list")
def dlq_list() -> None:
    """List dead-lettered alerts: id, type, destination, reason."""
    from router import list_dead_letters

    settings, _ = _load(needs=("redis_url",))
    letters = asyncio.run(list_dead_letters(settings))
    for letter in letters:
        typer.echo(
            f"{letter.alert.alert_id}\t{letter.alert.type}\t{letter.destination}\t"
            f"{letter.attempts} tries\t{letter.reason}"
        )
    console.print(f"{len(letters)} dead-lettered alerts")


@dlq_app.command("replay")
def dlq_replay(
    alert_ids: Annotated[list[str] | None, typer.Argument(help="ids to replay; none: all")] = None,
) -> None:
    """Send dead-lettered alerts back to the alerts topic for another delivery."""
    from router import replay_dead_letters

    settings, _ = _load(needs=("kafka_bootstrap", "redis_url"))
    count = asyncio.run(replay_dead_letters(settings, alert_ids or None))
    console.print(f"replayed {count} alerts")


def main() -> None:
    app(prog_name="leadpulse")


if __name__ == "__main__":
    main()
