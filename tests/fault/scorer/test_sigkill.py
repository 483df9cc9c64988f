"""Two scorer processes in one group; one is SIGKILLed mid-stream; nothing lost or doubled."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from aiokafka import AIOKafkaProducer

from leadpulse.dev.embedded import EmbeddedValkey, free_port
from leadpulse.kernel.kafka import ensure_topics, producer_options
from leadpulse.kernel.settings import Settings
from leadpulse.kernel.wire import Envelope
from scorer.read import store
from scorer.storage.keys import PartitionKeys
from tests.conftest import SettingsFactory
from tests.unit.scorer.events import at, identify, page, published, track

LEADS = 1500
LEADPULSE = str(Path(sys.executable).with_name("leadpulse"))


def _journeys() -> list[Envelope]:
    """Four events per person; every third starts anonymous and identifies (a cross-partition
    merge), so claims, merges and forwards are in flight when the process dies."""
    events: list[Envelope] = []
    for n in range(LEADS):
        email = f"k{n}@firm{n % 50}.example"
        if n % 3 == 0:
            events += [
                page("/demo/pricing", anon=f"b{n}", when=at(n / 10)),
                identify(anon=f"b{n}", email=email, when=at(n / 10 + 1)),
            ]
        else:
            events += [
                track("Form Submitted", email=email, when=at(n / 10)),
                page("/demo/blog/a", email=email, when=at(n / 10 + 1)),
            ]
        events += [
            track("Email Link Clicked", email=email, when=at(n / 10 + 2)),
            page("/demo/compare/x", email=email, when=at(n / 10 + 40)),
        ]
    return events


def _start(settings: Settings, data: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "LP_KAFKA_BOOTSTRAP": str(settings.kafka_bootstrap),
        "LP_KAFKA_PARTITIONS": str(settings.kafka_partitions),
        "LP_REDIS_URL": str(settings.redis_url),
        "LP_TOPIC_EVENTS": settings.topic_events,
        "LP_TOPIC_ALERTS": settings.topic_alerts,
        "LP_TOPIC_DLQ": settings.topic_dlq,
        "LP_SCORER_GROUP": settings.scorer_group,
        "LP_SCORER_HEALTH_PORT": str(free_port()),
        "LP_DATA_DIR": str(data),
        "LP_LOG_LEVEL": "warning",
    }
    return subprocess.Popen(
        [LEADPULSE, "scorer"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


async def _applied(redis: Any, partitions: int) -> int:
    pipe = redis.pipeline(transaction=False)
    for p in range(partitions):
        pipe.zcard(PartitionKeys(p).seen)
    return sum(await pipe.execute())


async def _wait(condition: Any, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def test_sigkill_mid_stream_loses_nothing_and_counts_nothing_twice(
    settings_factory: SettingsFactory, valkey: EmbeddedValkey, tmp_path: Path
) -> None:
    """A scorer killed with SIGKILL hands its partitions over; every count is exact."""
    settings = settings_factory(redis_url=valkey.url, kafka_partitions=6)
    redis = aioredis.Redis.from_url(valkey.url)
    await redis.flushall()
    await ensure_topics(settings)
    events = _journeys()
    producer = AIOKafkaProducer(**producer_options(settings))
    await producer.start()
    first, rest = events[: len(events) // 2], events[len(events) // 2 :]
    await asyncio.gather(
        *[
            await producer.send(settings.topic_events, published(e), key=e.key.encode())
            for e in first
        ]
    )
    victim = _start(settings, tmp_path / "a")
    survivor = _start(settings, tmp_path / "b")
    try:
        # Kill while batches are in flight: some of the first half applied, more arriving.
        await _wait(lambda: _some_applied(redis, settings), 60, "the scorers to start applying")
        sending = asyncio.gather(
            *[
                await producer.send(settings.topic_events, published(e), key=e.key.encode())
                for e in rest
            ]
        )
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        await sending

        async def settled() -> bool:
            funnel = await store.get_funnel(redis, start=at(0).date(), end=at(days=2).date())
            flows = {r["stage"]: r["flow"] for r in funnel["stages"]}
            merged = (await store.list_leads(redis, limit=1))["total"] == LEADS
            return flows["nurturing"] == LEADS and merged

        await _wait(settled, 90, "every lead nurtured and every visitor merged")
        funnel = await store.get_funnel(redis, start=at(0).date(), end=at(days=2).date())
        flows = {r["stage"]: r["flow"] for r in funnel["stages"]}
        assert flows["lead"] == LEADS and flows["nurturing"] == LEADS
        leads = await store.list_leads(redis, limit=LEADS * 2)
        assert leads["total"] == LEADS
        timelines = 0
        for row in leads["leads"]:
            lead = await store.get_lead(redis, row["lead_id"])
            assert lead is not None
            timelines += len(lead["timeline"])
            assert len(lead["timeline"]) == 4, lead["email"]
        assert timelines == len(events)
        assert survivor.poll() is None
    finally:
        for proc in (victim, survivor):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)
        await producer.stop()
        await redis.aclose()


async def _some_applied(redis: Any, settings: Settings) -> bool:
    return await _applied(redis, settings.kafka_partitions) >= 300
