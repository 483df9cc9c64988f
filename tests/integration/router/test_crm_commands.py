"""`leadpulse crm check` and `leadpulse crm backfill` against the local HubSpot
(`tests.vendors.hubspot_api`), with leads the real scorer made."""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
import redis.asyncio as aioredis
from aiokafka import AIOKafkaProducer

from leadpulse.kernel.kafka import ensure_topics, producer_options
from leadpulse.kernel.settings import Settings
from leadpulse.kernel.wire import Envelope
from scorer import run as run_scorer
from scorer.read.store import list_leads
from tests.integration.router.crm_support import hubspot_config, hubspot_settings
from tests.integration.router.support import RunningRouter, wait_for
from tests.unit.scorer.events import identify, published, track
from tests.vendors.hubspot_api import HubSpotServer

pytestmark = pytest.mark.timeout(120)


Scored = Callable[[list[Envelope], int], Awaitable[Settings]]


@dataclass
class Ran:
    code: int
    out: str
    err: str


def _env(settings: Settings, hubspot: HubSpotServer, tmp_path: Path, token: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LP_")}
    env.update(
        {
            "LP_KAFKA_BOOTSTRAP": str(settings.kafka_bootstrap),
            "LP_REDIS_URL": str(settings.redis_url),
            "LP_TOPIC_EVENTS": settings.topic_events,
            "LP_TOPIC_ALERTS": settings.topic_alerts,
            "LP_TOPIC_LEAD_CHANGES": settings.topic_lead_changes,
            "LP_KAFKA_PARTITIONS": str(settings.kafka_partitions),
            "LP_HUBSPOT_TOKEN": token,
            "LP_HUBSPOT_BASE_URL": hubspot.url,
            "LP_DATA_DIR": str(tmp_path / "cli"),
            "LP_LOG_FORMAT": "json",
            "COLUMNS": "200",
        }
    )
    return env


async def _leadpulse(env: dict[str, str], *args: str) -> Ran:
    """Run the command in a child process while this loop keeps serving the local HubSpot."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "leadpulse",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 90)
    return Ran(proc.returncode or 0, out.decode(), err.decode())


@pytest.fixture
async def scored(
    router_settings: Callable[..., Settings], redis_client: aioredis.Redis
) -> AsyncIterator[Scored]:
    """Settings whose Valkey holds the leads the real scorer made of the given events."""
    settings = router_settings(scorer_health_port=0, webhook_url=None)
    await ensure_topics(settings)
    stop = asyncio.Event()
    task = asyncio.create_task(run_scorer(settings, hubspot_config(), stop))

    async def make(events: list[Envelope], leads: int) -> Settings:
        producer = AIOKafkaProducer(**producer_options(settings))
        await producer.start()
        try:
            for event in events:
                await producer.send_and_wait(
                    settings.topics.events, published(event), key=event.key.encode()
                )
        finally:
            await producer.stop()

        async def all_there() -> bool:
            return int((await list_leads(redis_client, limit=1))["total"]) >= leads

        await wait_for(all_there, 30, "the scorer never stored the leads")
        return settings

    yield make
    stop.set()
    await asyncio.wait_for(task, 20)


async def test_crm_check_creates_properties_and_prints_a_dry_run_without_writing(
    scored: Scored, tmp_path: Path
) -> None:
    """First run creates every property; second finds them; the payload is printed only."""
    email = "fran@wayne.example"
    now = datetime.now(UTC)
    settings = await scored([track("Demo Requested", email=email, when=now)], 1)
    async with HubSpotServer() as hubspot:
        env = _env(settings, hubspot, tmp_path, hubspot.token)
        first = await _leadpulse(env, "crm", "check", "--lead", email)
        assert first.code == 0, first.err
        assert "credentials ok" in first.err and "leadpulse_score" in first.err
        assert "created" in first.err
        body = orjson.loads(first.out[first.out.index("{") :])
        (item,) = body["inputs"]
        assert item["idProperty"] == "email" and item["id"] == email
        assert item["properties"]["leadpulse_stage"] == "mql"
        assert item["properties"]["lifecyclestage"] == "marketingqualifiedlead"
        assert "demo_requested" in item["properties"]["leadpulse_top_reasons"]
        assert hubspot.upserts() == [] and hubspot.contacts == {}

        second = await _leadpulse(env, "crm", "check", "--lead", email)
        assert second.code == 0 and "found" in second.err and "created" not in second.err

        refused = await _leadpulse(_env(settings, hubspot, tmp_path, "pat-wrong"), "crm", "check")
        assert refused.code == 1 and "unauthorized" in refused.err


async def test_crm_backfill_writes_every_lead_once_and_a_second_run_writes_nothing(
    scored: Scored,
    start_router: Callable[..., RunningRouter],
    tmp_path: Path,
) -> None:
    """Every current lead reaches HubSpot once; run again (resumed), nothing is repeated."""
    now = datetime.now(UTC)
    emails = [f"person{i}@stark.example" for i in range(12)]
    events = [identify(email=e, when=now) for e in emails]
    settings = await scored(events, len(emails))
    # A fresh lead-changes topic: only the backfill's changes are on it.
    settings = settings.model_copy(update={"topic_lead_changes": f"{settings.topic_events}.bf"})
    async with HubSpotServer() as hubspot:
        start_router(hubspot_settings(settings, hubspot), hubspot_config(linger_seconds=0.2))
        env = _env(settings, hubspot, tmp_path, hubspot.token)
        ran = await _leadpulse(env, "crm", "backfill")
        assert ran.code == 0, ran.err
        assert "written to hubspot" in ran.err
        assert set(hubspot.contacts) == set(emails)
        again = await _leadpulse(env, "crm", "backfill")
        assert again.code == 0, again.err
        applied = Counter(a.email for a in hubspot.applied)
        assert set(applied.values()) == {1}
        assert len(applied) == len(emails)
