"""CORS on the write paths browser SDKs use: a grant for site.origins only, for the
methods and headers analytics.js and RudderStack's JS SDK send; nothing for anyone else."""

from __future__ import annotations

import uuid

import pytest

from ingest.app import write_paths
from tests.integration.ingest.conftest import Edge, consume

SITE = "http://localhost:8000"  # in the default config's site.origins
OTHER = "https://evil.example"
# What the SDKs ask for in their preflights (read from their bundles).
SEGMENT_ASKS = "authorization,content-type"
SEGMENT_RETRY_ASKS = "authorization,content-type,x-retry-count"
RUDDERSTACK_ASKS = "anonymousid,authorization,content-type,sentat"
RUDDERSTACK_RETRY_ASKS = (
    "anonymousid,authorization,content-type,rsa-retry-attempt,rsa-retry-reason,"
    "rsa-since-first-attempt,rsa-since-last-attempt,sentat"
)


def _preflight(origin: str, headers: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": headers,
    }


@pytest.mark.parametrize("path", sorted(write_paths()))
async def test_a_site_origin_gets_a_preflight_grant_on_every_write_path(
    edge: Edge, path: str
) -> None:
    async with edge.client() as client:
        response = await client.options(path, headers=_preflight(SITE, SEGMENT_ASKS))
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == SITE
    assert "POST" in response.headers["access-control-allow-methods"]
    assert int(response.headers["access-control-max-age"]) > 0
    assert "Origin" in response.headers["vary"]


@pytest.mark.parametrize(
    "asks", [SEGMENT_ASKS, SEGMENT_RETRY_ASKS, RUDDERSTACK_ASKS, RUDDERSTACK_RETRY_ASKS]
)
async def test_the_headers_the_sdks_send_are_allowed(edge: Edge, asks: str) -> None:
    async with edge.client() as client:
        response = await client.options("/v1/batch", headers=_preflight(SITE, asks))
    assert response.status_code == 204
    allowed = {h.strip() for h in response.headers["access-control-allow-headers"].split(",")}
    assert set(asks.split(",")) <= allowed


async def test_another_origin_or_header_or_method_gets_no_grant(edge: Edge) -> None:
    async with edge.client() as client:
        other = await client.options("/v1/t", headers=_preflight(OTHER, SEGMENT_ASKS))
        header = await client.options("/v1/t", headers=_preflight(SITE, "x-evil"))
        method = await client.options(
            "/v1/t", headers={"Origin": SITE, "Access-Control-Request-Method": "DELETE"}
        )
        read_path = await client.options("/v1/leads", headers=_preflight(SITE, SEGMENT_ASKS))
    assert other.status_code == 403 and other.json()["error"]["field"] == "Origin"
    assert header.status_code == 400
    assert "x-evil" in header.json()["error"]["message"]
    assert method.status_code == 400
    for response in (other, header, method, read_path):
        assert "access-control-allow-origin" not in response.headers


async def test_actual_requests_carry_the_grant_and_other_origins_record_nothing(
    edge: Edge,
) -> None:
    """A site page's post is granted; another origin's text/plain post (no preflight in a
    browser) is refused and not published; a server (no Origin) sees no CORS at all."""
    granted_id, refused_id, server_id = (uuid.uuid4().hex for _ in range(3))

    def page(message_id: str) -> dict[str, str]:
        return {"type": "page", "anonymousId": "cors-1", "messageId": message_id}

    async with edge.client() as client:
        auth = edge.write_auth()
        granted = await client.post(
            "/v1/p", json=page(granted_id), auth=auth, headers={"Origin": SITE}
        )
        refused = await client.post(
            "/v1/b",
            json={"batch": [page(refused_id)]},
            auth=auth,
            headers={"Origin": OTHER, "Content-Type": "text/plain"},
        )
        server = await client.post("/v1/page", json=page(server_id), auth=auth)
    assert granted.status_code == 200
    assert granted.headers["access-control-allow-origin"] == SITE
    assert "Origin" in granted.headers["vary"]
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers
    assert server.status_code == 200
    assert "access-control-allow-origin" not in server.headers
    found = {event.event_id for _, event in await consume(edge.settings, 3, timeout=5)}
    assert found == {granted_id, server_id}
