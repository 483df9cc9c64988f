"""The edge's own Valkey use (scanner timing, inbound replay ids, suppression) on a cluster."""

from __future__ import annotations

import time

import pytest

from ingest.tokens import EmailToken, dump_token
from leadpulse.dev.embedded import EmbeddedValkeyCluster
from tests.conftest import SECRET_KEY, TOKEN_SECRET, WRITE_KEY
from tests.integration.ingest.conftest import EdgeFactory, consume

pytestmark = pytest.mark.cluster

PERSON_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0.0.0 Safari/537.36"


async def test_the_edge_runs_on_a_valkey_cluster(
    edge_factory: EdgeFactory, valkey_cluster: EmbeddedValkeyCluster
) -> None:
    """Tracks, opens and a click burst work against a 3-node cluster; the burst is flagged."""
    now = int(time.time())

    def click(path: str) -> str:
        token = EmailToken(
            "kay@cluster.example", "c1", now - 3600, now + 3600, f"https://s.example/{path}"
        )
        return dump_token(TOKEN_SECRET, "click", token)

    async with edge_factory(redis_url=valkey_cluster.url, redis_cluster=True) as edge:
        async with edge.client(headers={"User-Agent": PERSON_UA}) as client:
            ready = await client.get("/readyz")
            assert ready.status_code == 200, ready.text
            tracked = await client.post(
                "/v1/track", json={"anonymousId": "c", "event": "Signed Up"}, auth=(WRITE_KEY, "")
            )
            assert tracked.status_code == 200, tracked.text
            for path in ("a", "b", "c"):
                assert (await client.get(f"/r/{click(path)}")).status_code == 302
            crm = await client.post(
                "/v1/crm/events",
                json={
                    "event_id": "e1",
                    "type": "won",
                    "email": "kay@cluster.example",
                    "occurred_at": "2026-11-01T00:00:00Z",
                },
                headers={"Authorization": f"Bearer {SECRET_KEY}"},
            )
            assert crm.status_code == 200, crm.text
        found = [event for _, event in await consume(edge.settings, 5)]
    reasons = [
        e.flags.noise_reason
        for e in sorted(found, key=lambda e: e.received_at)
        if e.event == "Email Link Clicked"
    ]
    assert reasons == [None, None, "link_burst"]
