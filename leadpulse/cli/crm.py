"""`leadpulse crm check` and `leadpulse crm backfill`: the CRM connectors from the shell."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.config.routing import Destination
from leadpulse.kernel.settings import Settings, read_named_secrets
from leadpulse.kernel.valkey import Valkey, connect_valkey

__all__ = ["crm_app"]

crm_app = typer.Typer(help="CRM connectors (HubSpot).", no_args_is_help=True)
console = Console(stderr=True)


def _with_default_destination(settings: Settings, config: LeadPulseConfig) -> LeadPulseConfig:
    """A config without a hubspot destination gets one named `hubspot` when a token is set."""
    routing = config.routing
    if any(d.type == "hubspot" for d in routing.destinations) or settings.hubspot_token is None:
        return config
    destinations = [*routing.destinations, Destination(name="hubspot", type="hubspot")]
    return config.model_copy(
        update={"routing": routing.model_copy(update={"destinations": destinations})}
    )


def _connectors(settings: Settings, config: LeadPulseConfig) -> list[Any]:
    from router.crm import build_connectors, token_names

    try:
        connectors = build_connectors(settings, config, read_named_secrets(token_names(config)))
    except ValueError as exc:
        console.print(f"[bold red]error[/]: {exc}")
        raise typer.Exit(2) from exc
    if not connectors:
        console.print("[bold red]error[/]: no CRM connector: set LP_HUBSPOT_TOKEN")
        raise typer.Exit(2)
    return connectors


async def _lead(settings: Settings, ref: str | None) -> dict[str, Any] | None:
    if not settings.redis_url:
        return None
    from scorer.read.store import get_lead, list_leads

    redis = connect_valkey(settings)
    try:
        if ref is None:
            page = await list_leads(redis, sort="score", limit=20)
            ref = next((row["lead_id"] for row in page["leads"] if row.get("email")), None)
        return await get_lead(redis, ref) if ref else None
    finally:
        await redis.aclose()


async def _check(settings: Settings, config: LeadPulseConfig, ref: str | None) -> bool:
    from router.crm.backfill import change_from_lead
    from router.crm.types import Write
    from router.errors import DeliveryError

    healthy = True
    lead = await _lead(settings, ref)
    for connector in _connectors(settings, config):
        try:
            report = await connector.prepare()
        except DeliveryError as exc:
            console.print(f"[bold red]{connector.name}[/]: {exc.reason}: {exc.detail}")
            healthy = False
            continue
        table = Table(title=f"{connector.name} ({connector.kind}): credentials ok")
        table.add_column("property")
        table.add_column("state")
        for name in report.found:
            table.add_row(name, "found")
        for name in report.created:
            table.add_row(name, "[green]created[/]")
        console.print(table)
        change = change_from_lead(lead) if lead else None
        if change is None:
            console.print("dry run: no lead with an email to show (give --lead)")
            continue
        write = Write(change)
        items = [(connector.plan(write, None), connector.payload(write, None))]
        console.print(f"dry run for {change.lead_id} (nothing written):")
        typer.echo(orjson.dumps(connector.request_body(items), option=orjson.OPT_INDENT_2))
    return healthy


@crm_app.command("check")
def check(
    lead: Annotated[str | None, typer.Option(help="lead id or email for the dry run")] = None,
) -> None:
    """Verify credentials and custom properties; print one lead's payload without writing."""
    from leadpulse.cli.main import load_for_command

    settings, config = load_for_command(beside_dev=True)
    config = _with_default_destination(settings, config)
    if not asyncio.run(_check(settings, config, lead)):
        raise typer.Exit(1)


async def _backfill(settings: Settings, config: LeadPulseConfig, page_size: int) -> None:
    from aiokafka import AIOKafkaProducer
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from leadpulse.kernel.kafka import ensure_topics, producer_options
    from router.crm.backfill import BackfillQueue, change_from_lead
    from scorer.read.store import get_lead, list_leads

    names = [c.name for c in _connectors(settings, config)]
    assert settings.redis_url is not None
    redis = connect_valkey(settings)
    await ensure_topics(settings)
    producer = AIOKafkaProducer(**producer_options(settings))
    await producer.start()
    queue = BackfillQueue(producer, settings.topics.lead_changes)
    lead_ids: list[str] = []
    try:
        total = (await list_leads(redis, sort="created", limit=1))["total"]
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            queued = progress.add_task("queued", total=total)
            for offset in range(0, total, page_size):
                page = await list_leads(redis, sort="created", offset=offset, limit=page_size)
                leads = [await get_lead(redis, row["lead_id"]) for row in page["leads"]]
                changes = [c for c in (change_from_lead(d) for d in leads if d) if c]
                await queue.put(changes)
                lead_ids += [c.lead_id for c in changes]
                progress.update(queued, advance=len(page["leads"]))
            written = {n: progress.add_task(f"written to {n}", total=len(lead_ids)) for n in names}
            await _watch(redis, progress, written, lead_ids)
    finally:
        await producer.stop()
        await redis.aclose()


async def _watch(redis: Valkey, progress: Any, tasks: dict[str, Any], lead_ids: list[str]) -> None:
    """Follow the router's records until every lead is written or nothing moved for 30 s."""
    from router.crm.backfill import written_count

    last, moved = -1, time.monotonic()
    while time.monotonic() - moved < 30:
        counts = {n: await written_count(redis, n, lead_ids) for n in tasks}
        for name, task in tasks.items():
            progress.update(task, completed=counts[name])
        if all(c >= len(lead_ids) for c in counts.values()):
            return
        if sum(counts.values()) != last:
            last, moved = sum(counts.values()), time.monotonic()
        await asyncio.sleep(1.0)


@crm_app.command("backfill")
def backfill(
    page_size: Annotated[int, typer.Option(help="leads read per page")] = 200,
) -> None:
    """Push every current lead once to each CRM (through the running router); resumable."""
    from leadpulse.cli.main import load_for_command

    settings, config = load_for_command(needs=("kafka_bootstrap", "redis_url"))
    config = _with_default_destination(settings, config)
    asyncio.run(_backfill(settings, config, page_size))


async def _with_redis(settings: Settings, work: Any) -> Any:

    assert settings.redis_url is not None
    redis = connect_valkey(settings)
    try:
        return await work(redis)
    finally:
        await redis.aclose()


@crm_app.command("dead-letters")
def dead_letters() -> None:
    """List lead changes a CRM connector gave up on: lead, connector, reason."""
    from leadpulse.cli.main import load_for_command
    from router.crm import open_crm_dead_letters

    settings, _ = load_for_command(needs=("kafka_bootstrap", "redis_url"))
    letters = asyncio.run(_with_redis(settings, lambda r: open_crm_dead_letters(settings, r)))
    for letter in letters:
        typer.echo(
            f"{letter.change.lead_id}\t{letter.change.change_id}\t{letter.destination}\t"
            f"{letter.attempts} tries\t{letter.reason}"
        )
    console.print(f"{len(letters)} dead-lettered lead changes")


@crm_app.command("replay")
def replay(
    lead_ids: Annotated[list[str] | None, typer.Argument(help="leads to replay; none: all")] = None,
) -> None:
    """Send dead-lettered lead changes back to the CRM connectors."""
    from leadpulse.cli.main import load_for_command
    from router.crm import replay_crm_dead_letters

    settings, _ = load_for_command(needs=("kafka_bootstrap", "redis_url"))
    count = asyncio.run(
        _with_redis(settings, lambda r: replay_crm_dead_letters(settings, r, lead_ids or None))
    )
    console.print(f"replayed {count} lead changes")
