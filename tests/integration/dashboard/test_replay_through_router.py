"""Replay from the dashboard is carried out by a real running router: the dashboard lists
the router's index of its dead letters and queues a request; the router replays."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.settings import Settings
from router.dlq_index import REQUESTS_STREAM, indexed_letters, note_requested
from tests.integration.dashboard.login import login
from tests.integration.ingest.conftest import Edge, EdgeFactory
from tests.integration.router.support import (
    Receiver,
    RunningRouter,
    committed_total,
    make_alert,
    produce_alerts,
    quick_config,
    wait_for,
    wait_until,
)

Start = Callable[[Settings, LeadPulseConfig], RunningRouter]


async def _letter_state(client: httpx.AsyncClient, cookie: dict[str, str], alert_id: str) -> str:
    """The state of the alert's row in the dead-letter table ("" when not listed)."""
    page = await client.get("/dashboard/alerts", headers=cookie)
    assert page.status_code == 200
    table = re.search(r'<table id="dead-letters">(.*?)</table>', page.text, re.S)
    assert table
    for row in re.findall(r"<tr data-letter=.*?</tr>", table.group(1), re.S):
        if alert_id in row:
            found = re.search(r'data-state="(\w+)"', row)
            assert found
            return found.group(1)
    return ""


async def _replay(
    client: httpx.AsyncClient, edge: Edge, cookie: dict[str, str], alert_id: str
) -> str:
    response = await client.post(
        "/dashboard/alerts/replay",
        content=f"alert_id={alert_id}",
        headers=cookie | {"origin": edge.base, "content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 303
    return response.headers["location"]


async def test_replay_from_the_dashboard_delivers_once_through_the_router(
    router_settings: Callable[..., Settings],
    start_router: Start,
    edge_factory: EdgeFactory,
    redis_client: Any,
) -> None:
    """Dead-lettered by a running router, replayed from the page once the receiver is fixed:
    the receiver takes the alert once, and the page says "replayed"."""
    async with Receiver(default=503) as receiver:
        settings = router_settings(webhook_url=receiver.url)
        config = quick_config()
        alert = make_alert()
        await produce_alerts(settings, [alert])
        start_router(settings, config)
        async with edge_factory(config) as edge, edge.client() as client:
            cookie = await login(client)

            async def state_is(expected: str) -> bool:
                return await _letter_state(client, cookie, alert.alert_id) == expected

            await wait_for(lambda: state_is("open"), 20, "the dead letter never showed")
            assert receiver.accepted() == []
            receiver.default = 200
            assert await _replay(client, edge, cookie, alert.alert_id) == (
                "/dashboard/alerts?replayed=1"
            )
            await wait_for(lambda: state_is("replayed"), 20, "never shown replayed")
            await wait_until(lambda: len(receiver.accepted()) == 1, 20, "never delivered")
            # Once the router has handled both copies (the first and the replayed one)...
            await wait_for(
                lambda: _committed_is(settings, 2), 20, "the replayed alert never handled"
            )
            # ... a second click finds nothing open to replay.
            assert await _replay(client, edge, cookie, alert.alert_id) == (
                "/dashboard/alerts?replayed=0"
            )
            assert [r.webhook_id for r in receiver.accepted()] == [alert.alert_id]


async def _committed_is(settings: Settings, expected: int) -> bool:
    return await committed_total(settings) == expected


async def test_a_letter_shows_replay_requested_until_the_router_replays_it(
    router_settings: Callable[..., Settings],
    start_router: Start,
    edge_factory: EdgeFactory,
    redis_client: Any,
) -> None:
    """With no router running the request waits, shown as "replay requested"; a router that
    starts carries it out."""
    async with Receiver(default=503) as receiver:
        settings = router_settings(webhook_url=receiver.url)
        config = quick_config()
        alert = make_alert()
        await produce_alerts(settings, [alert])
        router = start_router(settings, config)
        await wait_for(lambda: _indexed(redis_client, 1), 20, "no dead letter indexed")
        await router.close()
        receiver.default = 200
        async with edge_factory(config) as edge, edge.client() as client:
            cookie = await login(client)
            assert await _letter_state(client, cookie, alert.alert_id) == "open"
            await _replay(client, edge, cookie, alert.alert_id)
            assert await _letter_state(client, cookie, alert.alert_id) == "requested"
            page = await client.get("/dashboard/alerts", headers=cookie)
            assert "replay requested" in page.text
            start_router(settings, config)
            await wait_until(lambda: len(receiver.accepted()) == 1, 30, "never delivered")
            assert await _letter_state(client, cookie, alert.alert_id) == "replayed"


async def _indexed(redis: Any, count: int) -> bool:
    return len(await indexed_letters(redis)) == count


async def test_a_request_carried_out_twice_puts_the_alert_back_once(
    router_settings: Callable[..., Settings],
    start_router: Start,
    redis_client: Any,
) -> None:
    """Two requests for one letter (a double post, or one carried out again after a crash
    before its ack): the alert goes back on the topic once and is delivered once."""
    async with Receiver(default=503) as receiver:
        settings = router_settings(webhook_url=receiver.url)
        alert = make_alert()
        await produce_alerts(settings, [alert])
        start_router(settings, quick_config())
        await wait_for(lambda: _indexed(redis_client, 1), 20, "no dead letter indexed")
        receiver.default = 200
        [item] = await indexed_letters(redis_client)
        await note_requested(redis_client, [item.letter])
        await note_requested(redis_client, [item.letter])
        await wait_until(lambda: len(receiver.accepted()) == 1, 20, "never delivered")
        await wait_for(lambda: _stream_empty(redis_client), 20, "requests never acknowledged")
        # Both requests are done: whatever they put back is on the topic by now.
        assert await _topic_size(settings) == 2  # the first alert and one replayed copy
        await wait_for(lambda: _committed_is(settings, 2), 20, "replayed copy never handled")
        assert [r.webhook_id for r in receiver.accepted()] == [alert.alert_id]


async def _stream_empty(redis: Any) -> bool:
    return int(await redis.xlen(REQUESTS_STREAM)) == 0


async def _topic_size(settings: Settings) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
    await consumer.start()
    try:
        await consumer.topics()
        partitions = consumer.partitions_for_topic(settings.topics.alerts) or set()
        tps = [TopicPartition(settings.topics.alerts, p) for p in partitions]
        return sum((await consumer.end_offsets(tps)).values())
    finally:
        await consumer.stop()


async def test_an_unreadable_request_is_dropped_and_the_next_carried_out(
    router_settings: Callable[..., Settings],
    start_router: Start,
    redis_client: Any,
) -> None:
    """A request no one could carry out is acknowledged and logged; the router goes on."""
    async with Receiver(default=503) as receiver:
        settings = router_settings(webhook_url=receiver.url)
        alert = make_alert()
        await produce_alerts(settings, [alert])
        router = start_router(settings, quick_config())
        await wait_for(lambda: _indexed(redis_client, 1), 20, "no dead letter indexed")
        receiver.default = 200
        await redis_client.xadd(REQUESTS_STREAM, {"letters": b"not json"})
        [item] = await indexed_letters(redis_client)
        await note_requested(redis_client, [item.letter])
        await wait_until(lambda: len(receiver.accepted()) == 1, 20, "never delivered")
        await wait_for(lambda: _stream_empty(redis_client), 20, "requests never acknowledged")
        router.check()
