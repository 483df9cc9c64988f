"""A running ingest and scorer (real broker, real Valkey) with the CRM doors enabled, a local
HubSpot for the deals' contacts, and helpers that sign and send as the vendors do."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from pydantic import SecretStr

from leadpulse.kernel.config import LeadPulseConfig, load_config
from scorer import run as run_scorer
from tests.conftest import SECRET_KEY, WRITE_KEY
from tests.integration.ingest.conftest import Edge, EdgeFactory
from tests.vendors.hubspot_deals import HubSpotDeals
from tests.vendors.hubspot_signing import hubspot_headers

CLIENT_SECRET = "hs-client-secret-0b6f5a0e"
HUBSPOT_TOKEN = "pat-na1-test-token"
PORTAL = 62515
ORG_ID = "00D5e000000KQ2eEAG"
OUTBOUND_SECRET = "sf-outbound-7Qm2x9Kp"
GOLDEN = Path(__file__).resolve().parents[3] / "golden" / "salesforce"
SECRET = {"Authorization": f"Bearer {SECRET_KEY}"}


@dataclass
class Crm:
    """The running stack as a CRM and a salesperson see it."""

    edge: Edge
    hubspot: HubSpotDeals

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.edge.base, timeout=15)

    async def identify(self, client: httpx.AsyncClient, email: str) -> None:
        body = {"anonymousId": f"anon-{email}", "traits": {"email": email}}
        answer = await client.post("/v1/identify", json=body, auth=(WRITE_KEY, ""))
        assert answer.status_code == 200, answer.text
        await self.lead_when(client, email, lambda lead: lead["stage"] == "lead", "the lead")

    async def hubspot_post(
        self, client: httpx.AsyncClient, events: list[dict[str, Any]], **signing: Any
    ) -> httpx.Response:
        """POST events as HubSpot does, signed with the app's client secret."""
        body = orjson.dumps(events)
        uri = f"{self.edge.base}/v1/crm/hubspot/webhooks"
        headers = hubspot_headers(signing.pop("secret", CLIENT_SECRET), uri, body, **signing)
        return await client.post("/v1/crm/hubspot/webhooks", content=body, headers=headers)

    async def salesforce_post(
        self, client: httpx.AsyncClient, body: bytes, secret: str = OUTBOUND_SECRET
    ) -> httpx.Response:
        """POST a SOAP notification as Salesforce does."""
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}
        return await client.post(
            f"/v1/crm/salesforce/outbound/{secret}", content=body, headers=headers
        )

    async def lead(self, client: httpx.AsyncClient, email: str) -> dict[str, Any] | None:
        answer = await client.get(f"/v1/leads/{email}", headers=SECRET)
        return answer.json() if answer.status_code == 200 else None

    async def lead_when(
        self,
        client: httpx.AsyncClient,
        email: str,
        check: Callable[[dict[str, Any]], bool],
        what: str,
        within: float = 30.0,
    ) -> dict[str, Any]:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            lead = await self.lead(client, email)
            if lead is not None and check(lead):
                return lead
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out after {within}s waiting for {what}")


def crm_ids(lead: dict[str, Any]) -> list[str]:
    """The ids of the CRM outcomes applied to a lead, oldest first."""
    return [entry["id"] for entry in reversed(lead["timeline"]) if entry["type"] == "crm"]


def deal_event(event_id: int, deal_id: int, stage: str, **changes: Any) -> dict[str, Any]:
    """A `deal.propertyChange` on `dealstage`, as HubSpot's webhook reference shows it."""
    return {
        "eventId": event_id,
        "subscriptionId": 2431,
        "portalId": PORTAL,
        "appId": 54321,
        "occurredAt": int(time.time() * 1000),
        "subscriptionType": "deal.propertyChange",
        "attemptNumber": 0,
        "objectId": deal_id,
        "propertyName": "dealstage",
        "propertyValue": stage,
        "changeSource": "CRM_UI",
        "sourceId": "userId:42",
    } | changes


def opportunity(email: str, notification_id: str, modstamp: str, *, won: bool = True) -> bytes:
    """The golden won-Opportunity message for this person, notification and time."""
    raw = (GOLDEN / "opportunity_won.xml").read_bytes()
    raw = raw.replace(b"buyer@initech.example", email.encode())
    raw = raw.replace(b"04l5e00000Gx7QzAAJ", notification_id.encode())
    raw = raw.replace(b"2026-12-01T10:15:00.000Z", modstamp.encode())
    if not won:
        raw = raw.replace(b"<sf:IsWon>true</sf:IsWon>", b"<sf:IsWon>false</sf:IsWon>")
        raw = raw.replace(b"Closed Won", b"Closed Lost")
    return raw


@contextlib.asynccontextmanager
async def crm_stack(
    edge_factory: EdgeFactory, config: LeadPulseConfig | None = None
) -> AsyncIterator[Crm]:
    """Ingest and scorer on fresh topics, the CRM doors configured, a local HubSpot."""
    config = config or load_config()
    async with (
        HubSpotDeals(token=HUBSPOT_TOKEN) as hubspot,
        edge_factory(
            config,
            hubspot_client_secret=SecretStr(CLIENT_SECRET),
            hubspot_token=SecretStr(HUBSPOT_TOKEN),
            hubspot_base_url=hubspot.url,
            salesforce_org_id=ORG_ID[:15],
            salesforce_outbound_secret=SecretStr(OUTBOUND_SECRET),
            scorer_health_port=0,  # the in-process scorer's health server: any free port
        ) as edge,
    ):
        stop = asyncio.Event()
        scorer = asyncio.create_task(run_scorer(edge.settings, config, stop))
        try:
            yield Crm(edge, hubspot)
        finally:
            stop.set()
            await asyncio.wait_for(scorer, 20)


@pytest.fixture
async def crm(edge_factory: EdgeFactory, redis_client: Any) -> AsyncIterator[Crm]:
    """The stack on the packaged config and a flushed Valkey."""
    async with crm_stack(edge_factory) as stack:
        yield stack
