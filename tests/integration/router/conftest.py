"""Fixtures for the router's integration tests: settings on the real broker and Valkey."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import redis.asyncio as aioredis
from pydantic import SecretStr

from leadpulse.config import LeadPulseConfig
from leadpulse.embedded import EmbeddedValkey, free_port
from leadpulse.settings import Settings
from tests.conftest import WEBHOOK_SECRET, SettingsFactory
from tests.integration.router.support import RunningRouter


@pytest.fixture
def router_settings(
    settings_factory: SettingsFactory, valkey: EmbeddedValkey, redis_client: aioredis.Redis
) -> Callable[..., Settings]:
    """Settings for a router on the test broker and the (flushed) single Valkey."""
    redis_url = valkey.url

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "redis_url": redis_url,
            "webhook_secret": SecretStr(WEBHOOK_SECRET),
            "router_health_port": free_port(),
        }
        values.update(overrides)
        return settings_factory(**values)

    return make


@pytest.fixture
async def start_router() -> AsyncIterator[Callable[[Settings, LeadPulseConfig], RunningRouter]]:
    """Start routers in this loop; every one is stopped at the end of the test."""
    started: list[RunningRouter] = []

    def start(settings: Settings, config: LeadPulseConfig) -> RunningRouter:
        running = RunningRouter(settings, config)
        started.append(running)
        return running

    yield start
    for running in started:
        if not running.stop.is_set():
            await running.close()
