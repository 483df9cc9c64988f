"""A lead's alerts, read through HTTP, hold every alert about it with its delivery state.

The whole pipeline runs: ingest (HTTP), scorer (with its SLA tick), router, and a real
receiver. The events are dated in the past, so the SLA deadlines they start have already
passed when the scorer's tick (wall clock) looks at them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from pydantic import SecretStr

from leadpulse.dev.embedded import free_port
from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.settings import Settings
from tests.conftest import SECRET_KEY, WEBHOOK_SECRET
from tests.integration.router.support import Receiver, RunningRouter, quick_config
from tests.integration.scorer.conftest import (
    SECRET,
    WRITE,
    Edge,
    ScorerStarter,
    config,
    edge,
    scorer_settings,
    start_scorer,
    wait_for,
)

__all__ = ["config", "edge", "scorer_settings", "start_scorer"]

pytestmark = pytest.mark.timeout(120)

Start = Callable[[Settings, LeadPulseConfig], RunningRouter]
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0"


def _days_ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


async def _quote_request(client: httpx.AsyncClient, email: str, days_ago: float) -> None:
    message = {
        "type": "track",
        "event": "Quote Requested",
        "messageId": uuid.uuid4().hex,
        "anonymousId": uuid.uuid4().hex,
        "timestamp": _days_ago(days_ago),
        "context": {"userAgent": UA, "traits": {"email": email}},
    }
    response = await client.post("/v1/batch", json={"batch": [message]}, auth=WRITE)
    assert response.status_code == 200 and response.json()["rejected"] == [], response.text


async def _crm(client: httpx.AsyncClient, email: str, outcome: str, days_ago: float) -> None:
    body = {
        "event_id": uuid.uuid4().hex,
        "type": outcome,
        "email": email,
        "occurred_at": _days_ago(days_ago),
    }
    response = await client.post("/v1/crm/events", json=body, headers=SECRET)
    assert response.status_code in (200, 202), response.text


def _states(lead: dict[str, Any]) -> list[tuple[str, str]]:
    return [(a["type"], a["state"]) for a in lead["alerts"]]


async def _lead_when(
    client: httpx.AsyncClient, email: str, check: Callable[[dict[str, Any]], bool], what: str
) -> dict[str, Any]:
    found: dict[str, Any] = {}

    async def ready() -> bool:
        response = await client.get(f"/v1/leads/{email}", headers=SECRET)
        if response.status_code == 200 and check(response.json()):
            found.update(response.json())
            return True
        return False

    await wait_for(ready, 40, what)
    return found


def _breach_gone(body: bytes) -> int | None:
    """The receiver takes every alert but SLA breaches, which it answers 410 Gone."""
    return 410 if orjson.loads(body)["type"] == "sla_breach" else None


async def test_lead_alerts_show_delivered_pending_dead_lettered_and_throttled(
    scorer_settings: Settings,
    edge: Edge,
    start_scorer: ScorerStarter,
    start_router: Start,
) -> None:
    """mql pending while the receiver holds its answer, then delivered; the SLA tick's
    breach dead-lettered (410); a second breach within the throttle window throttled."""
    email = f"{uuid.uuid4().hex[:8]}@acme.example"
    answer_mql = asyncio.Event()

    async def hold_first(index: int) -> None:
        if index == 0:
            await answer_mql.wait()

    async with (
        Receiver(before_answer=hold_first, status_for=_breach_gone) as receiver,
        edge.client() as client,
    ):
        settings = scorer_settings.model_copy(
            update={
                "webhook_url": receiver.url,
                "webhook_secret": SecretStr(WEBHOOK_SECRET),
                "router_health_port": free_port(),
            }
        )
        await start_scorer()
        start_router(settings, quick_config(throttle_minutes=60))

        await _quote_request(client, email, days_ago=25)
        await _lead_when(
            client, email, lambda lead: ("mql", "pending") in _states(lead), "mql pending"
        )
        answer_mql.set()
        lead = await _lead_when(
            client,
            email,
            lambda lead: _states(lead) == [("mql", "delivered"), ("sla_breach", "dead_lettered")],
            "mql delivered, sla breach dead-lettered",
        )
        mql, breach = lead["alerts"]
        assert mql["destinations"] == [{"destination": "default_webhook", "state": "delivered"}]
        assert breach["destinations"] == [
            {"destination": "default_webhook", "state": "dead_lettered"}
        ]

        # Accepted 20 days ago: the 14-day `sal` SLA is long past, so the tick fires again.
        await _crm(client, email, "accepted", days_ago=20)
        lead = await _lead_when(
            client,
            email,
            lambda lead: ("sla_breach", "throttled") in _states(lead),
            "a second breach, throttled",
        )
        assert _states(lead) == [
            ("mql", "delivered"),
            ("sla_breach", "dead_lettered"),
            ("sla_breach", "throttled"),
        ]
        assert [r.json()["type"] for r in receiver.received] == ["mql", "sla_breach"]

        login = await client.post(
            "/dashboard/login",
            content=f"key={SECRET_KEY}",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        cookie = {"cookie": f"lp_session={login.cookies['lp_session']}"}
        page = await client.get(f"/dashboard/leads/{lead['lead_id']}", headers=cookie)
        assert page.status_code == 200
        for alert in lead["alerts"]:
            assert alert["alert_id"] in page.text
        for state in ("delivered", "dead_lettered", "throttled"):
            assert f'class="alert-state {state}"' in page.text
