"""Fixtures for the scorer's fault tests: the scorer's integration fixtures, the router's,
and `run_scorer` for tests that bring their own settings (their own Valkey or broker)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from leadpulse.kernel.settings import Settings
from tests.integration.router.support import router_settings, start_router
from tests.integration.scorer.conftest import (
    ScorerStarter,
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
def run_scorer(start_scorer: ScorerStarter) -> RunScorer:
    """Start in-process scorers on the given settings (their own Valkey or broker); each
    is stopped after the test."""

    async def start(settings: Settings) -> Callable[[], Awaitable[None]]:
        return await start_scorer(settings)

    return start
