"""The browser's channels: /lp.js, /v1/collect beacons (CORS), the /p.gif pixel, enrichment."""

from __future__ import annotations

import orjson
import pytest

from tests.conftest import WRITE_KEY
from tests.integration.ingest.conftest import Edge, EdgeFactory, consume

PERSON_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
HEADLESS_UA = PERSON_UA.replace("Chrome/", "HeadlessChrome/")


def _beacon(*messages: dict[str, object]) -> bytes:
    return orjson.dumps({"writeKey": WRITE_KEY, "batch": list(messages)})


async def test_the_snippet_is_served_with_the_site_consent_policy(edge: Edge) -> None:
    """GET /lp.js is JavaScript that reads data-write-key and carries the consent settings."""
    async with edge.client() as client:
        response = await client.get("/lp.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    assert "data-write-key" in response.text
    assert '{"dnt":true,"gpc":true,"days":395}' in response.text
    assert len(response.content) < 8 * 1024


async def test_beacons_from_the_site_origin_are_accepted_with_cors(edge: Edge) -> None:
    """A text/plain beacon from an allowed origin: 200, CORS header, events from `snippet`."""
    page = {
        "type": "page",
        "anonymousId": "lp-123",
        "messageId": "beacon-1",
        "properties": {"url": "http://127.0.0.1:8000/demo/pricing?utm_source=ads&utm_campaign=q4"},
        "context": {"page": {"path": "/demo/pricing", "referrer": "https://search.example/"}},
    }
    async with edge.client() as client:
        response = await client.post(
            "/v1/collect",
            content=_beacon(page),
            headers={
                "Content-Type": "text/plain;charset=UTF-8",
                "Origin": "http://localhost:8000",
                "User-Agent": PERSON_UA,
            },
        )
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == "http://localhost:8000"
    [(key, event)] = await consume(edge.settings, 1)
    assert key == "anon:lp-123"
    assert event.source == "snippet"
    assert event.context.path == "/demo/pricing"
    assert event.context.referrer == "https://search.example/"
    assert (event.context.campaign.source, event.context.campaign.name) == ("ads", "q4")
    assert event.context.browser == "Chrome"
    assert event.flags.bot is False


async def test_beacons_from_another_origin_are_refused(edge: Edge) -> None:
    """An origin not in site.origins gets 403 naming Origin, and its preflight too."""
    async with edge.client() as client:
        post = await client.post(
            "/v1/collect",
            content=_beacon({"type": "page", "anonymousId": "x"}),
            headers={"Origin": "https://evil.example"},
        )
        preflight = await client.options("/v1/collect", headers={"Origin": "https://evil.example"})
        allowed = await client.options("/v1/collect", headers={"Origin": "http://127.0.0.1:8000"})
    assert post.status_code == 403
    assert post.json()["error"]["field"] == "Origin"
    assert preflight.status_code == 403
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == "http://127.0.0.1:8000"


async def test_a_headless_browser_is_flagged_as_a_bot(edge: Edge) -> None:
    """Events from HeadlessChrome are kept and flagged bot, so they score nothing."""
    async with edge.client() as client:
        await client.post(
            "/v1/collect",
            content=_beacon({"type": "page", "anonymousId": "robot"}),
            headers={"User-Agent": HEADLESS_UA},
        )
    [(_, event)] = await consume(edge.settings, 1)
    assert event.flags.bot is True
    assert event.flags.noise_reason == "bot"


async def test_the_pixel_records_a_page_view_with_an_anonymized_ip(edge: Edge) -> None:
    """GET /p.gif answers a GIF and publishes the page; the IP is cut to its /24."""
    async with edge.client() as client:
        response = await client.get(
            "/p.gif",
            params={
                "k": WRITE_KEY,
                "a": "px-1",
                "u": "https://site.example/blog/post",
                "r": "https://ref.example/",
            },
            headers={"User-Agent": PERSON_UA},
        )
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/gif"
    [(key, event)] = await consume(edge.settings, 1)
    assert key == "anon:px-1"
    assert (event.type, event.source) == ("page", "pixel")
    assert event.context.path == "/blog/post"
    assert event.context.ip == "127.0.0.0"


@pytest.mark.parametrize(
    ("params", "status"),
    [({"a": "x"}, 401), ({"k": "wk_wrong", "a": "x"}, 403), ({"k": WRITE_KEY}, 400)],
    ids=["no-key", "wrong-key", "no-visitor"],
)
async def test_the_pixel_refuses_bad_requests(
    edge: Edge, params: dict[str, str], status: int
) -> None:
    """A pixel without a key, with a wrong key or without a visitor id is a JSON 4xx."""
    async with edge.client() as client:
        response = await client.get("/p.gif", params=params)
    assert response.status_code == status
    assert "error" in response.json()


async def test_forwarded_for_is_believed_only_from_trusted_proxies(
    edge_factory: EdgeFactory, redis_client: object
) -> None:
    """Behind a trusted proxy the client's X-Forwarded-For address is used, anonymized."""
    async with (
        edge_factory(trusted_proxies=["127.0.0.1/32"]) as trusted,
        trusted.client() as client,
    ):
        for anonymous_id, forwarded in (("v4", "203.0.113.77"), ("v6", "2001:db8:abcd:12::1")):
            await client.post(
                "/v1/track",
                json={"anonymousId": anonymous_id, "event": "Signed Up"},
                auth=(WRITE_KEY, ""),
                headers={"X-Forwarded-For": f"198.51.100.1, {forwarded}"},
            )
        found = {
            event.identity.anonymous_id: event for _, event in await consume(trusted.settings, 2)
        }
    assert found["v4"].context.ip == "203.0.113.0"
    assert found["v6"].context.ip == "2001:db8:abcd::"


async def test_forwarded_for_from_an_untrusted_peer_is_ignored(edge: Edge) -> None:
    """Without trusted proxies a client cannot choose its recorded address."""
    async with edge.client() as client:
        await client.post(
            "/v1/track",
            json={"anonymousId": "spoof", "event": "Signed Up"},
            auth=(WRITE_KEY, ""),
            headers={"X-Forwarded-For": "203.0.113.77"},
        )
    [(_, event)] = await consume(edge.settings, 1)
    assert event.context.ip == "127.0.0.0"


async def test_do_not_track_and_gpc_headers_become_consent_flags(edge: Edge) -> None:
    """DNT and Sec-GPC are recorded; under the default policy tracking is not allowed."""
    async with edge.client() as client:
        await client.post(
            "/v1/track",
            json={"anonymousId": "private", "event": "Signed Up"},
            auth=(WRITE_KEY, ""),
            headers={"DNT": "1", "Sec-GPC": "1"},
        )
    [(_, event)] = await consume(edge.settings, 1)
    consent = event.flags.consent
    assert (consent.do_not_track, consent.global_privacy_control) == (True, True)
    assert consent.tracking_allowed is False
