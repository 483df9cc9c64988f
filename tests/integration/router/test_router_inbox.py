"""The dev inbox (/inbox) receives the router's webhooks, verifies them, and shows them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import httpx
import pytest
import redis.asyncio as aioredis
import uvicorn
from fastapi import FastAPI

from ingest import dev_inbox as inbox
from leadpulse.dev.embedded import free_port
from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.health import QuietServer
from leadpulse.kernel.schema import encode
from leadpulse.kernel.settings import Settings
from router.signing import signature_headers
from tests.conftest import WEBHOOK_SECRET
from tests.integration.router.support import (
    RunningRouter,
    make_alert,
    produce_alerts,
    quick_config,
    wait_for,
    wait_until,
)

Start = Callable[[Settings, LeadPulseConfig], RunningRouter]


@pytest.fixture
async def inbox_url(
    router_settings: Callable[..., Settings], redis_client: aioredis.Redis
) -> AsyncIterator[str]:
    """A real uvicorn serving the inbox router the way ingest mounts it."""
    app = FastAPI()
    app.include_router(inbox.router)
    app.state.settings = router_settings()
    app.state.redis = redis_client
    port = free_port()
    server = QuietServer(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    await wait_until(lambda: server.started, 10, "inbox server never started")
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


def _signed(body: bytes, msg_id: str, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    headers = signature_headers([secret], msg_id, datetime.now(UTC), body)
    return headers | {"content-type": "application/json"}


async def test_router_webhook_shows_up_verified(
    router_settings: Callable[..., Settings], start_router: Start, inbox_url: str
) -> None:
    """An alert the router delivers to /inbox/hooks is listed, newest first, as verified."""
    settings = router_settings(webhook_url=f"{inbox_url}/inbox/hooks")
    alert = make_alert()
    await produce_alerts(settings, [alert])
    start_router(settings, quick_config())
    async with httpx.AsyncClient(base_url=inbox_url) as client:

        async def listed() -> bool:
            return bool((await client.get("/inbox.json")).json()["alerts"])

        await wait_for(listed, 20, "the inbox stayed empty")
        [entry] = (await client.get("/inbox.json")).json()["alerts"]
        assert entry["verified"] is True
        assert entry["webhook_id"] == alert.alert_id
        assert entry["alert"]["lead"]["lead_id"] == alert.lead.lead_id
        page = await client.get("/inbox")
        assert page.status_code == 200
        assert "text/html" in page.headers["content-type"]
        assert 'class="badge ok">verified' in page.text
        assert alert.lead.lead_id in page.text or "ann@example.com" in page.text


async def test_duplicates_are_kept_once_and_newest_comes_first(inbox_url: str) -> None:
    """The same webhook-id twice is stored once; a later alert is listed above it."""
    first, second = make_alert(), make_alert()
    async with httpx.AsyncClient(base_url=inbox_url) as client:
        for alert in (first, first, second):
            body = encode(alert)
            answer = await client.post(
                "/inbox/hooks", content=body, headers=_signed(body, alert.alert_id)
            )
            assert answer.status_code in (200, 202)
        ids = [e["webhook_id"] for e in (await client.get("/inbox.json")).json()["alerts"]]
    assert ids == [second.alert_id, first.alert_id]


async def test_a_bad_signature_is_refused_and_shown_unverified(inbox_url: str) -> None:
    """A webhook signed with another secret gets 401 and is listed as NOT verified."""
    alert = make_alert()
    body = encode(alert)
    other = "whsec_" + "b3RoZXItc2VjcmV0LW5vdC10aGUtcmlnaHQtb25l"
    async with httpx.AsyncClient(base_url=inbox_url) as client:
        answer = await client.post(
            "/inbox/hooks", content=body, headers=_signed(body, alert.alert_id, other)
        )
        assert answer.status_code == 401
        assert answer.json()["error"]["field"] == "webhook-signature"
        [entry] = (await client.get("/inbox.json")).json()["alerts"]
        assert entry["verified"] is False
        assert "NOT verified" in (await client.get("/inbox")).text


@pytest.mark.parametrize(
    ("body", "headers", "field"),
    [
        (b"{not json", {"webhook-id": "x"}, "body"),
        (b"[1, 2]", {"webhook-id": "x"}, "body"),
        (b"{}", {}, "webhook-id"),
    ],
    ids=["not-json", "not-an-object", "no-webhook-id"],
)
async def test_bad_input_gets_a_4xx_naming_the_field(
    inbox_url: str, body: bytes, headers: dict[str, str], field: str
) -> None:
    """Malformed webhooks get 400 with the field named, never a 5xx."""
    async with httpx.AsyncClient(base_url=inbox_url) as client:
        answer = await client.post("/inbox/hooks", content=body, headers=headers)
    assert answer.status_code == 400
    assert answer.json()["error"]["field"] == field


async def test_the_page_escapes_what_alerts_carry(inbox_url: str) -> None:
    """Markup in an alert is shown as text, never run as HTML."""
    alert = make_alert(reason="<script>alert(1)</script>")
    body = encode(alert)
    async with httpx.AsyncClient(base_url=inbox_url) as client:
        await client.post("/inbox/hooks", content=body, headers=_signed(body, alert.alert_id))
        page = (await client.get("/inbox")).text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
