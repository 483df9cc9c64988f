"""`leadpulse simulate`: send buyer journeys to a running ingest, with a progress bar."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import httpx
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from leadpulse.dev.journeys import Step, make_journeys
from leadpulse.kernel.settings import Settings

__all__ = ["run_simulation", "send_steps"]

BATCH = 100


async def send_steps(
    client: httpx.AsyncClient,
    steps: Sequence[Step],
    *,
    write_key: str,
    secret_key: str,
    rate: float = 0,
    on_progress: Any = None,
) -> int:
    """Send steps in time order (Segment batches, CRM events one by one); return accepted."""
    accepted = 0
    started = time.monotonic()
    done = 0
    index = 0
    while index < len(steps):
        step = steps[index]
        if step.channel == "crm":
            response = await client.post(
                "/v1/crm/events", json=step.body, headers={"Authorization": f"Bearer {secret_key}"}
            )
            response.raise_for_status()
            accepted += 1
            index += 1
            done += 1
        else:
            batch: list[dict[str, Any]] = []
            while index < len(steps) and steps[index].channel == "segment" and len(batch) < BATCH:
                batch.append(steps[index].body)
                index += 1
            response = await client.post("/v1/batch", json={"batch": batch}, auth=(write_key, ""))
            response.raise_for_status()
            accepted += int(response.json().get("accepted", len(batch)))
            done += len(batch)
        if on_progress is not None:
            on_progress(done)
        if rate > 0:
            ahead = done / rate - (time.monotonic() - started)
            if ahead > 0:
                await asyncio.sleep(ahead)
    return accepted


async def run_simulation(
    settings: Settings, *, leads: int, rate: float = 0, url: str | None = None, seed: int = 7
) -> int:
    steps = make_journeys(leads, seed=seed)
    write_key = settings.require_secret("write_key")
    secret_key = settings.require_secret("secret_key")
    base = url or settings.base_url
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ) as progress:
        task = progress.add_task(f"{leads} journeys", total=len(steps))
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            return await send_steps(
                client,
                steps,
                write_key=write_key,
                secret_key=secret_key,
                rate=rate,
                on_progress=lambda done: progress.update(task, completed=done),
            )
