"""The spool's promises: bounded (503 with Retry-After before accepting anything when full),
and durable across an ingest restart."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from leadpulse.dev.embedded import EmbeddedBroker, EmbeddedValkey, free_port
from leadpulse.kernel.kafka import ensure_topics
from tests.conftest import WRITE_KEY, SettingsFactory
from tests.integration.ingest.conftest import consume, serve

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def stopped_broker() -> Iterator[EmbeddedBroker]:
    """A broker of this test's own that is down until the test starts it."""
    server = EmbeddedBroker()
    yield server
    server.stop()


def _track(event_id: str) -> dict[str, str]:
    return {"anonymousId": "visitor-1", "event": "Content Downloaded", "messageId": event_id}


async def test_a_full_spool_answers_503_with_retry_after_and_accepts_nothing(
    stopped_broker: EmbeddedBroker,
    settings_factory: SettingsFactory,
    valkey: EmbeddedValkey,
    redis_client: object,
) -> None:
    """With the broker down and the spool full, a batch is refused whole with 503 + Retry-After."""
    settings = settings_factory(
        kafka_bootstrap=stopped_broker.bootstrap,
        redis_url=valkey.url,
        http_port=free_port(),
        spool_max_bytes=4096,
    )
    async with serve(settings) as edge, edge.client() as client:
        statuses = []
        for _ in range(20):
            response = await client.post(
                "/v1/track", json=_track(str(uuid.uuid4())), auth=(WRITE_KEY, "")
            )
            statuses.append(response.status_code)
            if response.status_code == 503:
                break
        assert statuses[0] == 200
        assert statuses[-1] == 503
        assert int(response.headers["Retry-After"]) > 0
        assert response.json()["error"]["code"] == "spool_full"
        batch = {"batch": [{"type": "track", **_track(str(uuid.uuid4()))} for _ in range(5)]}
        refused = await client.post("/v1/batch", json=batch, auth=(WRITE_KEY, ""))
        assert refused.status_code == 503
        assert "accepted" not in refused.json()


async def test_events_spooled_before_an_ingest_restart_reach_the_broker_after_it(
    stopped_broker: EmbeddedBroker,
    settings_factory: SettingsFactory,
    valkey: EmbeddedValkey,
    redis_client: object,
) -> None:
    """Events spooled while the broker was down are replayed, in order, by the next ingest."""
    settings = settings_factory(
        kafka_bootstrap=stopped_broker.bootstrap, redis_url=valkey.url, http_port=free_port()
    )
    ids = [str(uuid.uuid4()) for _ in range(50)]
    async with serve(settings) as edge, edge.client() as client:
        for event_id in ids:
            response = await client.post("/v1/track", json=_track(event_id), auth=(WRITE_KEY, ""))
            assert response.status_code == 200
    stopped_broker.start()
    await ensure_topics(settings)
    async with serve(settings):
        found = await consume(settings, len(ids), timeout=30)
    # One person, so one partition: the replay kept the order the events arrived in.
    assert [event.event_id for _, event in found] == ids
