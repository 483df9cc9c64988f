"""Lead changes written to HubSpot through the official client, end to end: the real broker,
Valkey, router (and scorer), against the local HubSpot server (`tests.vendors.hubspot_api`,
which follows developers.hubspot.com/docs/api/crm/contacts and .../usage-details)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import redis.asyncio as aioredis
from aiokafka import AIOKafkaProducer

from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.kafka import ensure_topics, producer_options
from leadpulse.kernel.settings import Settings
from router.crm import open_crm_dead_letters, replay_crm_dead_letters
from scorer import run as run_scorer
from tests.integration.router.crm_support import (
    FAST_RETRY,
    change,
    crm_dead_letters,
    hubspot_config,
    hubspot_settings,
    new_lead,
    produce_changes,
)
from tests.integration.router.support import RunningRouter, wait_until
from tests.unit.scorer.events import published, track
from tests.vendors.hubspot_api import HubSpotServer

pytestmark = pytest.mark.timeout(90)

Start = Callable[[Settings, LeadPulseConfig], RunningRouter]


def _holds(server: HubSpotServer, email: str, change_id: str) -> bool:
    return server.contacts.get(email, {}).get("leadpulse_change_id") == change_id


async def test_a_demo_request_becomes_one_batch_upsert_with_score_stage_and_reasons(
    router_settings: Callable[..., Settings], start_router: Start
) -> None:
    """Demo Requested -> the scorer's lead change -> one upsert: score, MQL lifecycle, reasons."""
    async with HubSpotServer() as hubspot:
        settings = hubspot_settings(router_settings(scorer_health_port=0), hubspot)
        config = hubspot_config()
        await ensure_topics(settings)
        stop = asyncio.Event()
        scorer = asyncio.create_task(run_scorer(settings, config, stop))
        start_router(settings, config)
        email = "erin@umbrella.example"
        demo = track("Demo Requested", email=email, when=datetime.now(UTC))
        producer = AIOKafkaProducer(**producer_options(settings))
        await producer.start()
        try:
            await producer.send_and_wait(
                settings.topics.events, published(demo), key=demo.key.encode()
            )
        finally:
            await producer.stop()
        await wait_until(lambda: email in hubspot.contacts, 40, "the contact never arrived")
        stop.set()
        await asyncio.wait_for(scorer, 20)
        writes = [a for a in hubspot.applied if a.email == email]
        assert len(writes) == 1
        written = writes[0].properties
        assert written["lifecyclestage"] == "marketingqualifiedlead"
        assert written["leadpulse_stage"] == "mql"
        assert float(written["leadpulse_score"]) >= 50
        assert "demo_requested +50" in written["leadpulse_top_reasons"]
        assert written["leadpulse_last_alert"] == "mql"
        assert written["leadpulse_url"].endswith(f"/dashboard/leads/{demo_lead(hubspot, email)}")
        assert {"leadpulse_score", "leadpulse_top_reasons"} <= set(hubspot.properties)


def demo_lead(server: HubSpotServer, email: str) -> str:
    return server.contacts[email]["leadpulse_url"].rsplit("/", 1)[1]


async def test_a_burst_of_changes_to_one_lead_becomes_few_writes_with_the_last_values(
    router_settings: Callable[..., Settings], start_router: Start
) -> None:
    """50 rapid changes of one lead: at most a few upserts, the last with the final values."""
    async with HubSpotServer() as hubspot:
        settings = hubspot_settings(router_settings(), hubspot)
        start_router(settings, hubspot_config(linger_seconds=1.0))
        lead = new_lead()
        burst = [change(lead, seq, score=float(seq)) for seq in range(50)]
        await produce_changes(settings, burst)
        email = burst[-1].email or ""
        await wait_until(lambda: _holds(hubspot, email, burst[-1].change_id), 30, "final values")
        writes = [a for a in hubspot.applied if a.email == email]
        assert 0 < len(writes) <= 3
        assert writes[-1].properties["leadpulse_score"] == "49"
        assert writes[-1].properties["leadpulse_change_id"] == burst[-1].change_id


async def test_a_429_storm_delays_every_write_and_repeats_none_within_the_rate(
    router_settings: Callable[..., Settings], start_router: Start
) -> None:
    """429s with Retry-After, then a tight portal limit: all land later, once, under the limit."""
    async with HubSpotServer(limit=4, window_seconds=1.0, retry_after=0.3) as hubspot:
        for _ in range(5):
            hubspot.faults.append((429, 0.3))
        settings = hubspot_settings(router_settings(), hubspot)
        config = hubspot_config(
            requests_per_window=4, window_seconds=1.0, batch_size=5, linger_seconds=0.1
        )
        start_router(settings, config)
        changes = [change(new_lead(), 0) for _ in range(40)]
        await produce_changes(settings, changes)
        await wait_until(
            lambda: all(_holds(hubspot, c.email or "", c.change_id) for c in changes),
            60,
            "every write to land",
        )
        applied = Counter((a.email, a.properties["leadpulse_change_id"]) for a in hubspot.applied)
        assert set(applied.values()) == {1}, "a write was applied twice"
        assert len(applied) == len(changes)
        assert len([s for s in hubspot.seen if s.injected]) == 5
        assert hubspot.rate_limited() == [], "the router went past the portal's limit"
        assert hubspot.max_in_window() <= 4


async def test_a_server_error_is_retried_and_a_bad_record_alone_is_dead_lettered(
    router_settings: Callable[..., Settings], start_router: Start
) -> None:
    """A 500 is retried; a batch HubSpot refuses for one record is split, the rest lands."""
    async with HubSpotServer() as hubspot:
        hubspot.faults.append((500, None))
        settings = hubspot_settings(router_settings(), hubspot)
        start_router(settings, hubspot_config(batch_size=10, linger_seconds=0.5))
        good = [change(new_lead(), 0) for _ in range(7)]
        bad = change(new_lead(), 0, stage="customer", email="not an email@@")
        await produce_changes(settings, [*good[:3], bad, *good[3:]])
        await wait_until(
            lambda: all(_holds(hubspot, c.email or "", c.change_id) for c in good),
            30,
            "the good records to land",
        )
        assert "not an email@@" not in hubspot.contacts
        letters = await crm_dead_letters(settings, 1)
        assert [(d.change.change_id, d.destination) for d in letters] == [
            (bad.change_id, "hubspot")
        ]
        assert "VALIDATION_ERROR" in letters[0].reason


async def test_changes_dead_lettered_after_the_last_try_are_written_after_a_replay(
    router_settings: Callable[..., Settings], start_router: Start, redis_client: aioredis.Redis
) -> None:
    """HubSpot down past the retry budget -> CRM DLQ; replayed once it is back -> written."""
    async with HubSpotServer() as hubspot:
        for _ in range(FAST_RETRY.attempts):
            hubspot.faults.append((503, None))
        settings = hubspot_settings(router_settings(), hubspot)
        start_router(settings, hubspot_config())
        lost = change(new_lead(), 0, stage="mql")
        await produce_changes(settings, [lost])
        letters = await crm_dead_letters(settings, 1)
        assert letters[0].change.change_id == lost.change_id
        assert f"after {FAST_RETRY.attempts} attempts" in letters[0].reason
        assert (await open_crm_dead_letters(settings, redis_client))[0].change == lost
        assert await replay_crm_dead_letters(settings, redis_client) == 1
        await wait_until(lambda: _holds(hubspot, lost.email or "", lost.change_id), 30, "replay")
        assert await open_crm_dead_letters(settings, redis_client) == []
        assert len([a for a in hubspot.applied if a.email == lost.email]) == 1
