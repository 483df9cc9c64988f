"""What the dashboard reads of the HubSpot connector, written by a real router (broker,
Valkey, local HubSpot): each lead's contact id and last sync, and the connector's health."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest
import redis.asyncio as aioredis

from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.crm_log import ConnectorHealth
from leadpulse.kernel.settings import Settings
from router.crm import replay_crm_dead_letters
from router.read import connectors_health, lead_crm_records
from tests.integration.router.crm_support import (
    FAST_RETRY,
    change,
    crm_dead_letters,
    hubspot_config,
    hubspot_settings,
    new_lead,
    produce_changes,
)
from tests.integration.router.support import RunningRouter
from tests.vendors.hubspot_api import HubSpotServer

pytestmark = pytest.mark.timeout(90)

Start = Callable[[Settings, LeadPulseConfig], RunningRouter]


async def _health_once(
    redis: aioredis.Redis, holds: Callable[[ConnectorHealth], bool], seconds: float = 20
) -> ConnectorHealth:
    """The hubspot connector's health once `holds` is true of it (polled, under a deadline)."""
    deadline = time.monotonic() + seconds
    while True:
        [health] = await connectors_health(redis, ["hubspot"])
        if holds(health):
            return health
        assert time.monotonic() < deadline, f"health never got there: {health}"
        await asyncio.sleep(0.05)


async def _until(check: Callable[[], Awaitable[bool]], seconds: float, message: str) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, message
        await asyncio.sleep(0.05)


async def test_written_leads_show_their_contact_id_and_sync_and_health_counts_429_waits(
    router_settings: Callable[..., Settings], start_router: Start, redis_client: aioredis.Redis
) -> None:
    """Two leads written after a 429: each has HubSpot's contact id and a sync time; the
    connector's health counts both records, the refused request and the wait it caused."""
    async with HubSpotServer() as hubspot:
        hubspot.faults.append((429, 0.3))
        settings = hubspot_settings(router_settings(), hubspot)
        start_router(settings, hubspot_config(batch_size=10, linger_seconds=0.3))
        before = time.time()
        changes = [change(new_lead(), 0), change(new_lead(), 0)]
        await produce_changes(settings, changes)

        async def synced() -> bool:
            records = [await lead_crm_records(redis_client, c.lead_id) for c in changes]
            return all(r and r[0].record_id for r in records)

        await _until(synced, 30, "the record ids never arrived")
        for c in changes:
            [record] = await lead_crm_records(redis_client, c.lead_id)
            assert record.connector == "hubspot"
            assert record.record_id == hubspot.contacts[c.email or ""]["hs_object_id"]
            assert record.synced_at is not None and before <= record.synced_at <= time.time()
        health = await _health_once(redis_client, lambda h: h.written == 2)
        assert health.last_success is not None and health.last_success >= before
        assert health.rate_limit_waits >= 1
        assert health.failed == 1 and health.requests >= 2
        assert health.error_rate == pytest.approx(1 / health.requests)
        assert health.open_dead_letters == 0


async def test_dead_letters_count_as_open_until_replayed(
    router_settings: Callable[..., Settings], start_router: Start, redis_client: aioredis.Redis
) -> None:
    """A change parked after the last try is one open dead letter; after a replay, none."""
    async with HubSpotServer() as hubspot:
        for _ in range(FAST_RETRY.attempts):
            hubspot.faults.append((503, None))
        settings = hubspot_settings(router_settings(), hubspot)
        start_router(settings, hubspot_config())
        lost = change(new_lead(), 0)
        await produce_changes(settings, [lost])
        await crm_dead_letters(settings, 1)
        parked = await _health_once(redis_client, lambda h: h.dead_lettered == 1)
        assert parked.open_dead_letters == 1 and parked.written == 0
        assert parked.failed == FAST_RETRY.attempts
        assert await replay_crm_dead_letters(settings, redis_client) == 1
        done = await _health_once(redis_client, lambda h: h.written == 1)
        assert done.replayed == 1 and done.open_dead_letters == 0
