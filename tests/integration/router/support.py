"""Real parts for the router's tests: HTTP receivers on free ports, alerts on Kafka.

A `Receiver` is a real uvicorn server (no mock): each request is recorded, then answered
from a script of statuses (and headers), optionally after a delay.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis
import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadpulse.dev.embedded import EmbeddedValkey, free_port
from leadpulse.kernel.config import LeadPulseConfig, load_config
from leadpulse.kernel.config.routing import RetryPolicy, RoutingConfig
from leadpulse.kernel.health import QuietServer
from leadpulse.kernel.kafka import ensure_topics, producer_options
from leadpulse.kernel.schema import Alert, encode
from leadpulse.kernel.settings import Settings
from tests.conftest import WEBHOOK_SECRET, SettingsFactory

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "alert.json"


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    status: int
    at: float
    answered_at: float | None = None

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")

    def json(self) -> Any:
        return orjson.loads(self.body)


@dataclass
class Receiver:
    """A real HTTP receiver; `script` holds (status, headers) answers, then `default`.

    `before_answer`, when given, runs with the request's index (0-based) after the request
    is recorded and before it is answered: a test's lever for "right after the 2xx".
    `status_for`, when given, picks the status from the body (None: the script's answer).
    """

    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    default: int = 200
    delay: float = 0.0
    serial: bool = False
    before_answer: Callable[[int], Awaitable[None]] | None = None
    status_for: Callable[[bytes], int | None] | None = None
    received: list[Received] = field(default_factory=list)
    port: int = field(default_factory=free_port)

    def __post_init__(self) -> None:
        self._lock = asyncio.Lock()
        app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["POST"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = QuietServer(config)
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def _handle(self, request: Request) -> Response:
        if self.serial:
            async with self._lock:
                return await self._answer(request)
        return await self._answer(request)

    async def _answer(self, request: Request) -> Response:
        body = await request.body()
        status, headers = self.script.pop(0) if self.script else (self.default, {})
        chosen = self.status_for(body) if self.status_for is not None else None
        status = status if chosen is None else chosen
        entry = Received(dict(request.headers), body, status, time.monotonic())
        self.received.append(entry)
        if self.before_answer is not None:
            await self.before_answer(len(self.received) - 1)
        if self.delay:
            await asyncio.sleep(self.delay)
        entry.answered_at = time.monotonic()
        return Response("ok" if status < 300 else "no", status_code=status, headers=headers)

    def accepted(self) -> list[Received]:
        return [r for r in self.received if 200 <= r.status < 300]

    async def __aenter__(self) -> Receiver:
        self._task = asyncio.create_task(self._server.serve())
        await wait_until(lambda: self._server.started, 10, "receiver never started")
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.should_exit = True
        if self._task is not None:
            await self._task


async def wait_until(
    condition: Callable[[], bool], seconds: float, message: str, every: float = 0.02
) -> None:
    """Poll a condition under a deadline (never a fixed sleep)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds}s: {message}")
        await asyncio.sleep(every)


async def wait_for(
    probe: Callable[[], Awaitable[bool]], seconds: float, message: str, every: float = 0.05
) -> None:
    deadline = time.monotonic() + seconds
    while not await probe():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds}s: {message}")
        await asyncio.sleep(every)


def make_alert(**changes: Any) -> Alert:
    """The golden alert with a fresh id and lead (or the given fields)."""
    base = Alert.model_validate(orjson.loads(GOLDEN.read_bytes()))
    lead_changes = changes.pop("lead", {})
    suffix = uuid.uuid4().hex[:12]
    lead = base.lead.model_copy(update={"lead_id": f"ld_{suffix}", **lead_changes})
    values: dict[str, Any] = {
        "alert_id": f"al_mql_{suffix}",
        "lead": lead,
        "occurred_at": datetime.now(UTC),
    }
    values.update(changes)
    # Validated, as the router reads alerts: `type` becomes its AlertType.
    return Alert.model_validate({**dict(base), **values})


async def produce_alerts(settings: Settings, alerts: list[Alert]) -> None:
    await ensure_topics(settings)
    producer = AIOKafkaProducer(**producer_options(settings))
    await producer.start()
    try:
        for alert in alerts:
            await producer.send_and_wait(
                settings.topics.alerts, encode(alert), key=alert.lead.lead_id.encode()
            )
    finally:
        await producer.stop()


async def committed_total(settings: Settings) -> int:
    """The router group's committed offsets on the alerts topic, summed over partitions."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=settings.router_group,
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        await consumer.topics()
        partitions = consumer.partitions_for_topic(settings.topics.alerts) or set()
        total = 0
        for p in partitions:
            offset = await consumer.committed(TopicPartition(settings.topics.alerts, p))
            total += offset or 0
        return total
    finally:
        await consumer.stop()


def quick_config(**routing: Any) -> LeadPulseConfig:
    """The default config with test-sized retries (ms, not seconds) and given routing."""
    config = load_config()
    values: dict[str, Any] = {
        "owners": config.routing.owners,
        "territories": config.routing.territories,
        "throttle_minutes": 0,
        "retry": RetryPolicy(
            attempts=4,
            base_seconds=0.02,
            cap_seconds=0.2,
            jitter=0.2,
            connect_timeout_seconds=1,
            read_timeout_seconds=2,
        ),
    }
    values.update(routing)
    return config.model_copy(update={"routing": RoutingConfig(**values)})


class RunningRouter:
    """The router's `run` as a task in this event loop, stopped through its stop event."""

    def __init__(self, settings: Settings, config: LeadPulseConfig) -> None:
        from router import run

        self.stop = asyncio.Event()
        self._task = asyncio.create_task(run(settings, config, self.stop))

    async def close(self, seconds: float = 20) -> None:
        self.stop.set()
        await asyncio.wait_for(self._task, seconds)

    def check(self) -> None:
        """Raise the router's error if it died."""
        if self._task.done():
            self._task.result()


# Fixtures, imported by the router's conftest files (integration and fault).


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
