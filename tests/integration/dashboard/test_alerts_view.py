"""The dashboard's alerts view on a running ingest: dead letters shown, replayed by a click."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from leadpulse.dev.embedded import free_port
from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.kafka import producer_options
from leadpulse.kernel.schema import Alert, decode
from leadpulse.kernel.settings import Settings
from router.dlq import DeadLetterPublisher
from router.dlq_index import index_letter
from tests.integration.dashboard.login import login
from tests.integration.ingest.conftest import EdgeFactory
from tests.integration.router.support import RunningRouter

GOLDEN = Path(__file__).resolve().parents[2] / "golden"
Start = Callable[[Settings, LeadPulseConfig], RunningRouter]


async def _park(settings: Settings, redis: Any) -> Alert:
    """Park as the router does: the letter on the DLQ topic, then in the router's index."""
    alert = decode(Alert, (GOLDEN / "alert.json").read_bytes())
    producer = AIOKafkaProducer(**producer_options(settings))
    await producer.start()
    try:
        parked = await DeadLetterPublisher(producer, settings.topics.dlq).park(
            alert, "default_webhook", "HTTP 503 after 6 attempts", 6
        )
    finally:
        await producer.stop()
    await index_letter(redis, *parked)
    return alert


async def _alerts_on_topic(settings: Settings, within: float = 15) -> list[Alert]:
    consumer = AIOKafkaConsumer(
        settings.topics.alerts,
        bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[Alert] = []
    try:
        deadline = time.monotonic() + within
        while not found and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=300)).values():
                found += [decode(Alert, record.value) for record in records]
    finally:
        await consumer.stop()
    return found


async def test_dead_letter_is_listed_and_replayed_from_the_dashboard(
    edge_factory: EdgeFactory,
    redis_client: Any,
    start_router: Start,
) -> None:
    """A parked alert shows with its reason; its Replay button puts it back on the topic."""
    async with edge_factory() as edge, edge.client() as client:
        start_router(
            edge.settings.model_copy(update={"router_health_port": free_port()}), edge.config
        )
        alert = await _park(edge.settings, redis_client)
        cookie = await login(client)
        page = await client.get("/dashboard/alerts", headers=cookie)
        assert page.status_code == 200
        assert alert.alert_id in page.text and "HTTP 503 after 6 attempts" in page.text
        replayed = await client.post(
            "/dashboard/alerts/replay",
            content=f"alert_id={alert.alert_id}",
            headers=cookie
            | {"origin": edge.base, "content-type": "application/x-www-form-urlencoded"},
        )
        assert replayed.status_code == 303
        assert replayed.headers["location"] == "/dashboard/alerts?replayed=1"
        assert [a.alert_id for a in await _alerts_on_topic(edge.settings)] == [alert.alert_id]


async def test_replay_from_another_site_is_refused(
    edge_factory: EdgeFactory,
    redis_client: Any,
) -> None:
    """A replay posted from another origin is 403 and puts nothing back."""
    async with edge_factory() as edge, edge.client() as client:
        alert = await _park(edge.settings, redis_client)
        cookie = await login(client)
        response = await client.post(
            "/dashboard/alerts/replay",
            content=f"alert_id={alert.alert_id}",
            headers=cookie
            | {
                "origin": "http://evil.example",
                "content-type": "application/x-www-form-urlencoded",
            },
        )
        assert response.status_code == 403
        assert await _alerts_on_topic(edge.settings, within=2) == []


async def test_alerts_view_needs_a_session(
    edge_factory: EdgeFactory,
    redis_client: Any,
) -> None:
    """Without logging in, the alerts view and the replay send a person to the login form."""
    async with edge_factory() as edge, edge.client() as client:
        assert (await client.get("/dashboard/alerts")).headers["location"] == "/dashboard/login"
        response = await client.post("/dashboard/alerts/replay", content="alert_id=x")
        assert response.headers["location"] == "/dashboard/login"
