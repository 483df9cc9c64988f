"""The lag a scorer exports is what it has not applied yet, per partition it holds."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from prometheus_client import REGISTRY

from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.settings import Settings
from scorer.runtime.consumer import ScorerLoop
from scorer.runtime.service import open_loop
from tests.integration.scorer.conftest import wait_for
from tests.unit.scorer.events import at, page

EVENTS = 60


def lag(partition: int) -> float | None:
    return REGISTRY.get_sample_value("leadpulse_scorer_lag_messages", {"partition": str(partition)})


@pytest.fixture
async def start_loop(
    scorer_settings: Settings, config: LeadPulseConfig
) -> AsyncIterator[Callable[[], Awaitable[ScorerLoop]]]:
    """A scorer loop as `leadpulse scorer` builds it, started when the test asks (after it
    produced its events) and stepped by the test itself."""
    async with contextlib.AsyncExitStack() as stack:

        async def start() -> ScorerLoop:
            return await stack.enter_async_context(open_loop(scorer_settings, config))

        yield start


async def test_lag_counts_unapplied_events_and_falls_to_zero(
    start_loop: Callable[[], Awaitable[ScorerLoop]], produce: Any
) -> None:
    # One visitor: every event lands on the same partition, in order, before the first fetch.
    await produce(*(page(f"/demo/blog/{n}", anon="lagging", when=at(n)) for n in range(EVENTS)))
    loop = await start_loop()
    applied = 0
    while applied == 0:
        applied = await loop.step(timeout_ms=500, max_records=10)
    (partition,) = {tp.partition for tp in loop.consumer.assignment() if lag(tp.partition)}
    assert lag(partition) == EVENTS - applied

    async def caught_up() -> bool:
        await loop.step(timeout_ms=100, max_records=10)
        return lag(partition) == 0

    await wait_for(caught_up, what="lag 0 once every event is applied")
    assert loop.events_applied == EVENTS
