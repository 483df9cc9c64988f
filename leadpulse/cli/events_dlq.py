"""`leadpulse events-dlq list | replay`: events the scorer parked as poison, from the shell."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console

__all__ = ["events_dlq_app"]

events_dlq_app = typer.Typer(
    help="Events the scorer could not apply (parked on the events dead-letter topic).",
    no_args_is_help=True,
)
console = Console(stderr=True)


@events_dlq_app.command("list")
def list_command() -> None:
    """List parked events: partition:offset on the events topic, reason, when, detail."""
    from leadpulse.cli.main import load_for_command
    from scorer.runtime.dead_letters import list_parked

    settings, _ = load_for_command(needs=("kafka_bootstrap",))
    parked = asyncio.run(list_parked(settings))
    for event in parked:
        typer.echo(f"{event.id}\t{event.reason}\t{event.failed_at}\t{event.detail}")
    console.print(f"{len(parked)} parked events")


@events_dlq_app.command("replay")
def replay_command(
    ids: Annotated[
        list[str] | None, typer.Argument(help="partition:offset ids to replay; none: all")
    ] = None,
) -> None:
    """Put parked events back on the events topic unchanged (after fixing their cause)."""
    from leadpulse.cli.main import load_for_command
    from scorer.runtime.dead_letters import replay_parked

    settings, _ = load_for_command(needs=("kafka_bootstrap",))
    count = asyncio.run(replay_parked(settings, ids or None))
    console.print(f"replayed {count} events")
