"""Fixtures for the scorer's fault tests: the scorer's integration fixtures, the router's,
and `run_scorer` for tests that bring their own settings (their own Valkey or broker)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from leadpulse.config import LeadPulseConfig
from leadpulse.settings import Settings
from scorer import run
from tests.integration.router.support import router_settings, start_router
from tests.integration.scorer.conftest import (
    config,
    produce,
    redis,
    scorer_settings,
    start_scorer,
    valkey_cluster,
)

__all__ = [
    "config",
    "produce",
    "redis",
    "router_settings",
    "run_scorer",
    "scorer_settings",
    "start_router",
    "start_scorer",
    "valkey_cluster",
]

RunScorer = Callable[[Settings], Awaitable[Callable[[], Awaitable[None]]]]


@pytest.fixture
async def run_scorer(config: LeadPulseConfig) -> AsyncIterator[RunScorer]:
    """Start in-process scorers on the given settings; each is stopped after the test."""
    running: list[tuple[asyncio.Event, asyncio.Task[None]]] = []

    async def start(settings: Settings) -> Callable[[], Awaitable[None]]:
        stop = asyncio.Event()
        task = asyncio.create_task(run(settings, config, stop))
        running.append((stop, task))

        async def halt() -> None:
            stop.set()
            await asyncio.wait_for(task, 20)

        return halt

    yield start
    for stop, _ in running:
        stop.set()
    for _, task in running:
        if not task.done():
            await asyncio.wait_for(task, 20)
        elif task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
