"""Ingest served by uvicorn on a free port, on the real test broker and Valkey."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

import ingest
from leadpulse.dev.embedded import EmbeddedValkey, free_port
from leadpulse.kernel.config import LeadPulseConfig, load_config
from leadpulse.kernel.schema import EventEnvelope, decode
from leadpulse.kernel.settings import Settings
from tests.conftest import SECRET_KEY, WRITE_KEY, SettingsFactory


@dataclass
class Edge:
    """A running ingest: its URL, settings and config."""

    base: str
    settings: Settings
    config: LeadPulseConfig

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base, timeout=15, **kwargs)

    def write_auth(self) -> tuple[str, str]:
        return (WRITE_KEY, "")

    def secret_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {SECRET_KEY}"}


@contextlib.asynccontextmanager
async def serve(settings: Settings, config: LeadPulseConfig | None = None) -> AsyncIterator[Edge]:
    """Run ingest.run() in this loop until the block ends; wait until /healthz answers."""
    config = config or load_config()
    stop = asyncio.Event()
    task = asyncio.create_task(ingest.run(settings, config, stop))
    base = f"http://{settings.http_host}:{settings.http_port}"
    deadline = time.monotonic() + 20
    async with httpx.AsyncClient(base_url=base, timeout=2) as client:
        while True:
            assert not task.done(), task.exception() if task.done() else None
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get("/healthz")).status_code == 200:
                    break
            assert time.monotonic() < deadline, "ingest did not start"
            await asyncio.sleep(0.05)
    try:
        yield Edge(base, settings, config)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


EdgeFactory = Callable[..., contextlib.AbstractAsyncContextManager[Edge]]


@pytest.fixture
def edge_factory(settings_factory: SettingsFactory, valkey: EmbeddedValkey) -> EdgeFactory:
    """Start an ingest with these Settings overrides (and optionally a config)."""

    def make(config: LeadPulseConfig | None = None, **overrides: Any) -> Any:
        values = {"redis_url": valkey.url, "http_port": free_port()} | overrides
        return serve(settings_factory(**values), config)

    return make


@pytest.fixture
async def edge(edge_factory: EdgeFactory, redis_client: Any) -> AsyncIterator[Edge]:
    """One ingest for this test, on fresh topics and a flushed Valkey."""
    async with edge_factory() as running:
        yield running


async def consume(
    settings: Settings,
    count: int,
    timeout: float = 20.0,  # noqa: ASYNC109 - a polling deadline
) -> list[tuple[str, EventEnvelope]]:
    """Read the events topic from the start until `count` events arrived (or time runs out)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False
    )
    await consumer.start()
    found: list[tuple[str, EventEnvelope]] = []
    try:
        partitions = await _partitions(consumer, settings.topics.events, timeout)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        deadline = time.monotonic() + timeout
        while len(found) < count and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                found.extend(
                    (record.key.decode(), decode(EventEnvelope, record.value)) for record in records
                )
    finally:
        await consumer.stop()
    return found


async def consume_ids(
    settings: Settings,
    ids: set[str],
    timeout: float = 60.0,  # noqa: ASYNC109 - a deadline
) -> list[EventEnvelope]:
    """Read the topic from the start until every id in `ids` was seen, plus one more quiet
    poll so duplicates that follow are counted too; returns every envelope read."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False
    )
    await consumer.start()
    found: list[EventEnvelope] = []
    try:
        partitions = await _partitions(consumer, settings.topics.events, timeout)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        deadline = time.monotonic() + timeout
        quiet_polls = 0
        while time.monotonic() < deadline and quiet_polls < 3:
            batches = await consumer.getmany(timeout_ms=300)
            for records in batches.values():
                found.extend(decode(EventEnvelope, record.value) for record in records)
            seen = {event.event_id for event in found}
            quiet_polls = quiet_polls + 1 if ids <= seen and not batches else 0
    finally:
        await consumer.stop()
    return found


async def _partitions(
    consumer: AIOKafkaConsumer, topic: str, within: float
) -> list[TopicPartition]:
    deadline = time.monotonic() + within
    while True:
        numbers = consumer.partitions_for_topic(topic)
        if numbers:
            return [TopicPartition(topic, n) for n in sorted(numbers)]
        assert time.monotonic() < deadline, f"topic {topic} never appeared"
        await consumer._client.force_metadata_update()
        consumer._client.add_topic(topic)
        await asyncio.sleep(0.1)


Consume = Callable[..., Awaitable[list[tuple[str, EventEnvelope]]]]
