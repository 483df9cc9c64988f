"""Fixtures for the scorer on the real broker and real Valkey (single node and cluster)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

import ingest
from leadpulse.dev.embedded import EmbeddedValkey, EmbeddedValkeyCluster, free_port
from leadpulse.kernel.config import LeadPulseConfig, load_config
from leadpulse.kernel.kafka import ensure_topics, producer_options
from leadpulse.kernel.schema import Alert, decode
from leadpulse.kernel.settings import Settings
from leadpulse.kernel.valkey import valkey_at
from leadpulse.kernel.wire import Envelope
from scorer import run
from tests.conftest import SECRET_KEY, WRITE_KEY, SettingsFactory
from tests.unit.scorer.events import published


async def wait_for(
    condition: Callable[[], Awaitable[bool]], within: float = 20.0, what: str = "condition"
) -> None:
    """Poll `condition` until it holds; fail naming `what` after `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out after {within}s waiting for {what}")


def _cluster_port() -> int:
    """A free port whose cluster bus port (+10000) is valid: Valkey refuses ports > 55535."""
    while True:
        port = free_port()
        if port <= 55535:
            return port


@pytest.fixture(scope="session")
def valkey_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedValkeyCluster]:
    """The root fixture's cluster, on ports a cluster bus can use (+10000 must stay valid)."""
    cluster = EmbeddedValkeyCluster(tmp_path_factory.mktemp("scorer-valkey-cluster"))
    cluster.nodes = [
        EmbeddedValkey(node.data_dir, _cluster_port(), cluster=True) for node in cluster.nodes
    ]
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def config() -> LeadPulseConfig:
    return load_config()


@pytest.fixture
async def scorer_settings(
    redis_target: tuple[str, bool], settings_factory: SettingsFactory
) -> Settings:
    url, cluster = redis_target
    settings = settings_factory(redis_url=url, redis_cluster=cluster, scorer_health_port=0)
    await ensure_topics(settings)
    return settings


@pytest.fixture
async def redis(scorer_settings: Settings) -> AsyncIterator[Any]:
    assert scorer_settings.redis_url is not None
    client = valkey_at(scorer_settings.redis_url, cluster=scorer_settings.redis_cluster)
    yield client
    await client.aclose()


class Producer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._producer = AIOKafkaProducer(**producer_options(settings))

    async def __aenter__(self) -> Producer:
        await self._producer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._producer.stop()

    async def send(self, *events: Envelope) -> None:
        futures = [
            await self._producer.send(self.settings.topics.events, published(e), key=e.key.encode())
            for e in events
        ]
        await asyncio.gather(*futures)


@pytest.fixture
async def produce(scorer_settings: Settings) -> AsyncIterator[Callable[..., Awaitable[None]]]:
    async with Producer(scorer_settings) as producer:
        yield producer.send


ScorerStarter = Callable[..., Awaitable[Callable[[], Awaitable[None]]]]


@pytest.fixture
async def start_scorer(
    scorer_settings: Settings, config: LeadPulseConfig
) -> AsyncIterator[ScorerStarter]:
    """Start in-process scorers (`run`) that are stopped cleanly after the test."""
    running: list[tuple[asyncio.Event, asyncio.Task[None]]] = []

    async def start(
        settings: Settings | None = None, cfg: LeadPulseConfig | None = None
    ) -> Callable[[], Awaitable[None]]:
        stop = asyncio.Event()
        task = asyncio.create_task(run(settings or scorer_settings, cfg or config, stop))
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


async def read_alerts(settings: Settings, expect: int, within: float = 20.0) -> list[Alert]:
    """Each distinct alert on the alerts topic once at least `expect` arrived (then 0.5 s more).

    The outbox publishes at least once: after a rebalance it may publish a pending alert
    again, with the same deterministic id, which the router delivers once. So an alert
    counts once by its id, as the router and a user see it.
    """
    consumer = AIOKafkaConsumer(
        settings.topics.alerts,
        bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    alerts: list[Alert] = []
    seen: set[str] = set()
    try:
        deadline = time.monotonic() + within
        quiet_until: float | None = None
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                for record in records:
                    alert = decode(Alert, record.value)
                    if alert.alert_id not in seen:
                        seen.add(alert.alert_id)
                        alerts.append(alert)
            if len(alerts) >= expect and quiet_until is None:
                quiet_until = time.monotonic() + 0.5
            if quiet_until is not None and time.monotonic() >= quiet_until:
                break
    finally:
        await consumer.stop()
    return alerts


@dataclass
class Edge:
    """A running ingest (the public HTTP API) in this event loop."""

    base: str

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base, timeout=30)


SECRET = {"Authorization": f"Bearer {SECRET_KEY}"}
WRITE = (WRITE_KEY, "")


@pytest.fixture
async def edge(scorer_settings: Settings, config: LeadPulseConfig) -> AsyncIterator[Edge]:
    """ingest.run() on a free port, sharing the scorer's topics and Valkey."""
    settings = scorer_settings.model_copy(update={"http_port": free_port()})
    stop = asyncio.Event()
    task = asyncio.create_task(ingest.run(settings, config, stop))
    base = f"http://{settings.http_host}:{settings.http_port}"

    async def up() -> bool:
        assert not task.done(), "ingest stopped"
        async with httpx.AsyncClient(base_url=base, timeout=2) as client:
            try:
                return (await client.get("/healthz")).status_code == 200
            except httpx.HTTPError:
                return False

    await wait_for(up, what="ingest to answer")
    yield Edge(base)
    stop.set()
    await asyncio.wait_for(task, 30)
