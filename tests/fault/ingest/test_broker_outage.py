"""The collector never loses an accepted event: a broker outage is bridged by the spool."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from leadpulse.dev.embedded import EmbeddedBroker, EmbeddedValkey, free_port
from tests.conftest import WRITE_KEY, SettingsFactory
from tests.integration.ingest.conftest import consume, consume_ids, serve

pytestmark = pytest.mark.timeout(150)


@pytest.fixture
def own_broker() -> Iterator[EmbeddedBroker]:
    """A broker of this test's own, so stopping it disturbs no other test."""
    server = EmbeddedBroker()
    server.start()
    yield server
    server.stop()


async def _send(client: httpx.AsyncClient, ids: list[str], concurrency: int = 16) -> list[int]:
    """POST one /v1/track per id, `concurrency` at a time; return the statuses in order."""
    gate = asyncio.Semaphore(concurrency)

    async def one(event_id: str) -> int:
        async with gate:
            response = await client.post(
                "/v1/track",
                json={
                    "anonymousId": f"visitor-{event_id[:6]}",
                    "event": "Content Downloaded",
                    "messageId": event_id,
                },
                auth=(WRITE_KEY, ""),
            )
            return response.status_code

    return list(await asyncio.gather(*(one(event_id) for event_id in ids)))


async def test_a_broker_outage_loses_and_duplicates_nothing(
    own_broker: EmbeddedBroker,
    settings_factory: SettingsFactory,
    valkey: EmbeddedValkey,
    redis_client: object,
) -> None:
    """1,000 events around a broker stop: all 2xx, all on the topic once it is back, none twice."""
    # Tansu keeps topics in memory, so what was on the topic before the stop is read before
    # stopping it; after the restart (no topics at all) the topic holds the spooled and the
    # later events.
    settings = settings_factory(
        kafka_bootstrap=own_broker.bootstrap, redis_url=valkey.url, http_port=free_port()
    )
    ids = [str(uuid.uuid4()) for _ in range(1000)]
    before, during, after = ids[:300], ids[300:700], ids[700:]
    async with serve(settings) as edge, edge.client() as client:
        statuses = await _send(client, before)
        seen_before = await consume(settings, len(before))

        await asyncio.to_thread(own_broker.stop)
        statuses += await _send(client, during)
        async with edge.client() as probe:
            # Still ready: the spool takes what the broker cannot.
            ready = await probe.get("/readyz")
            assert ready.status_code == 200 and ready.json()["checks"]["broker"] is False

        # The restarted Tansu has no topics: ingest re-creates its own before replaying.
        await asyncio.to_thread(own_broker.restart)
        statuses += await _send(client, after)
        seen_after = await consume_ids(settings, set(during + after), timeout=60)

    assert Counter(statuses) == {200: 1000}
    counts = Counter(event.event_id for event in [e for _, e in seen_before] + seen_after)
    assert set(counts) == set(ids)
    assert [event_id for event_id, n in counts.items() if n > 1] == []
