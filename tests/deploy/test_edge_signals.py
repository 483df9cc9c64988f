"""What the alert rules read from the edge when the broker is down: the spool fills while
the edge stays ready, then a full spool makes it unready and its 503s count as server
errors."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from leadpulse.dev.embedded import EmbeddedBroker, EmbeddedValkey, free_port
from tests.conftest import WRITE_KEY, SettingsFactory
from tests.integration.ingest.conftest import serve

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def stopped_broker() -> Iterator[EmbeddedBroker]:
    """A broker address nothing answers on."""
    server = EmbeddedBroker()
    yield server
    server.stop()


async def sample(client: httpx.AsyncClient, name: str, **labels: str) -> float | None:
    text = (await client.get("/metrics")).text
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return found.value
    return None


async def test_a_broker_outage_shows_as_spool_use_then_a_full_spool_as_not_ready_and_503s(
    stopped_broker: EmbeddedBroker,
    settings_factory: SettingsFactory,
    valkey: EmbeddedValkey,
    redis_client: object,
) -> None:
    settings = settings_factory(
        kafka_bootstrap=stopped_broker.bootstrap,
        redis_url=valkey.url,
        http_port=free_port(),
        spool_max_bytes=4096,
    )
    async with serve(settings) as edge, edge.client() as client:
        errors = {"status": "503", "source": "segment"}
        # Other tests in this process may have counted some already.
        before = await sample(client, "leadpulse_ingest_server_errors_total", **errors) or 0.0
        # The spool takes what the broker cannot: the edge stays in the load balancer. A
        # scrape alone tells, before anything asks /readyz.
        assert await sample(client, "leadpulse_ingest_ready") == 1
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"broker": False, "spool": True, "valkey": True}

        event = {"anonymousId": "visitor-1", "event": "Content Downloaded"}
        statuses = []
        while 503 not in statuses and len(statuses) < 50:
            body = event | {"messageId": str(uuid.uuid4())}
            response = await client.post("/v1/track", json=body, auth=(WRITE_KEY, ""))
            statuses.append(response.status_code)
        assert statuses[0] == 200 and statuses[-1] == 503
        assert await sample(client, "leadpulse_ingest_spool_events") == statuses.count(200)
        after = await sample(client, "leadpulse_ingest_server_errors_total", **errors)
        assert after - before == 1
        assert await sample(client, "leadpulse_ingest_ready") == 0
        unready = await client.get("/readyz")
        assert unready.status_code == 503
        assert unready.json()["checks"] == {"broker": False, "spool": False, "valkey": True}
