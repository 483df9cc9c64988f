"""Valkey fails right after a destination's 2xx: the router records it later, never resends.

DESIGN.md allows a duplicate only after a crash between the 2xx and its record; a router
that is still running knows it delivered, so it retries the record, not the send.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from leadpulse.dev.embedded import EmbeddedValkey
from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.settings import Settings
from leadpulse.kernel.valkey import connect_valkey
from router import list_dead_letters, metrics, service
from router.store import RouterStore
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

pytestmark = pytest.mark.timeout(120)

Start = Callable[[Settings, LeadPulseConfig], RunningRouter]
ALERTS = 4


def _handling_errors() -> float:
    return metrics.HANDLING_ERRORS._value.get()


async def _committed(settings: Settings, count: int = ALERTS) -> bool:
    return await committed_total(settings) == count


async def test_valkey_stopped_after_a_2xx_the_alert_is_recorded_later_and_sent_once(
    router_settings: Callable[..., Settings], start_router: Start, tmp_path: Path
) -> None:
    """The receiver stops Valkey (fsync always) before it answers 200 to the first alert;
    once Valkey is back every alert is recorded as delivered, each sent exactly once."""
    own = EmbeddedValkey(tmp_path / "valkey", appendfsync="always")
    own.start()
    client = aioredis.Redis.from_url(own.url)

    async def stop_valkey_on_first(index: int) -> None:
        if index == 0:
            await asyncio.to_thread(own.stop)

    try:
        async with Receiver(before_answer=stop_valkey_on_first) as receiver:
            settings = router_settings(webhook_url=receiver.url, redis_url=own.url)
            alerts = [make_alert() for _ in range(ALERTS)]
            errors = _handling_errors()
            await produce_alerts(settings, alerts)
            start_router(settings, quick_config())
            await wait_until(lambda: len(receiver.accepted()) >= 1, 20, "nothing delivered")
            await wait_until(lambda: _handling_errors() >= errors + 3, 30, "no failure seen")

            await asyncio.to_thread(own.restart)
            store = RouterStore(client)

            async def all_recorded() -> bool:
                outcomes = [await store.outcomes(alert.alert_id) for alert in alerts]
                return all(o == {"default_webhook": "delivered"} for o in outcomes)

            await wait_for(all_recorded, 40, "deliveries never recorded after the outage")
            await wait_for(lambda: _committed(settings), 30, "offsets never all committed")
            sent = Counter(r.webhook_id for r in receiver.received)
            assert sent == Counter({alert.alert_id: 1 for alert in alerts})
    finally:
        await client.aclose()
        own.stop()


class _FailingRecords:
    """The real client, except that the first `failures` writes of a delivery record (an
    `HSET lp:router:{alert} d:<destination> ...`, router/store.py's layout) raise
    ConnectionError: Valkey failing at exactly the record step, and nowhere else."""

    def __init__(self, real: Any, failures: int) -> None:
        self._real = real
        self.failures_left = failures

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def fail_if_record(self, key: Any, fields: list[Any]) -> None:
        names = [f.decode() if isinstance(f, bytes) else str(f) for f in fields]
        is_record = str(key).startswith("lp:router:{") and any(n.startswith("d:") for n in names)
        if is_record and self.failures_left > 0:
            self.failures_left -= 1
            raise RedisConnectionError("injected: Valkey went away at the record")

    async def hset(self, key: Any, *args: Any, **kwargs: Any) -> Any:
        self.fail_if_record(key, [*args[:1], *(kwargs.get("mapping") or {})])
        return await self._real.hset(key, *args, **kwargs)

    def pipeline(self, *args: Any, **kwargs: Any) -> _FailingPipeline:
        return _FailingPipeline(self, self._real.pipeline(*args, **kwargs))


class _FailingPipeline:
    def __init__(self, owner: _FailingRecords, real: Any) -> None:
        self._owner = owner
        self._real = real
        self._writes: list[tuple[Any, list[Any]]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    async def __aenter__(self) -> _FailingPipeline:
        await self._real.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._real.__aexit__(*exc)

    def hset(self, key: Any, *args: Any, **kwargs: Any) -> _FailingPipeline:
        self._writes.append((key, [*args[:1], *(kwargs.get("mapping") or {})]))
        self._real.hset(key, *args, **kwargs)
        return self

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        writes, self._writes = self._writes, []
        try:
            for key, fields in writes:
                self._owner.fail_if_record(key, fields)
        except RedisConnectionError:
            await self._real.reset()
            raise
        return await self._real.execute(*args, **kwargs)


@pytest.fixture
def failing_records(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], list[_FailingRecords]]:
    """Make the router's Valkey client fail its first N record writes; returns the clients."""
    made: list[_FailingRecords] = []

    def arm(failures: int) -> list[_FailingRecords]:
        def connect(settings: Settings) -> _FailingRecords:
            client = _FailingRecords(connect_valkey(settings), failures)
            made.append(client)
            return client

        monkeypatch.setattr(service, "connect_valkey", connect)
        return made

    return arm


async def test_failed_record_writes_are_retried_without_sending_again(
    router_settings: Callable[..., Settings],
    start_router: Start,
    redis_client: aioredis.Redis,
    failing_records: Callable[[int], list[_FailingRecords]],
) -> None:
    """Valkey refuses the first five delivery records: every alert still reaches the
    receiver once, and is recorded as delivered."""
    clients = failing_records(5)
    async with Receiver() as receiver:
        settings = router_settings(webhook_url=receiver.url)
        alerts = [make_alert() for _ in range(ALERTS)]
        await produce_alerts(settings, alerts)
        start_router(settings, quick_config())
        store = RouterStore(redis_client)

        async def all_recorded() -> bool:
            outcomes = [await store.outcomes(alert.alert_id) for alert in alerts]
            return all(o == {"default_webhook": "delivered"} for o in outcomes)

        await wait_for(all_recorded, 40, "deliveries never recorded")
        await wait_for(lambda: _committed(settings), 30, "offsets never all committed")
        assert clients[0].failures_left == 0
        sent = Counter(r.webhook_id for r in receiver.received)
        assert sent == Counter({alert.alert_id: 1 for alert in alerts})


async def test_a_dead_letter_whose_record_fails_is_parked_once_and_not_sent_again(
    router_settings: Callable[..., Settings],
    start_router: Start,
    redis_client: aioredis.Redis,
    failing_records: Callable[[int], list[_FailingRecords]],
) -> None:
    """410 Gone, then Valkey refuses the `dead` record twice: one request, one DLQ letter."""
    failing_records(2)
    async with Receiver(default=410) as receiver:
        settings = router_settings(webhook_url=receiver.url)
        alert = make_alert()
        await produce_alerts(settings, [alert])
        start_router(settings, quick_config())
        store = RouterStore(redis_client)

        async def recorded_dead() -> bool:
            return await store.outcomes(alert.alert_id) == {"default_webhook": "dead"}

        await wait_for(recorded_dead, 40, "dead letter never recorded")
        await wait_for(lambda: _committed(settings, 1), 30, "offset never committed")
        assert [r.webhook_id for r in receiver.received] == [alert.alert_id]
        assert [letter.alert.alert_id for letter in await list_dead_letters(settings)] == [
            alert.alert_id
        ]
