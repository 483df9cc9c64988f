"""The dashboard's CRM panels on a running ingest, after a real scorer and router wrote a lead
to the local HubSpot: the connector's row on the alerts page, the contact on the lead page."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.kafka import ensure_topics, producer_options
from leadpulse.kernel.settings import Settings
from scorer import run as run_scorer
from tests.integration.dashboard.login import login
from tests.integration.ingest.conftest import EdgeFactory
from tests.integration.router.crm_support import hubspot_config, hubspot_settings
from tests.integration.router.support import RunningRouter, wait_until
from tests.unit.scorer.events import published, track
from tests.vendors.hubspot_api import HubSpotServer

pytestmark = pytest.mark.timeout(120)

PORTAL = 4471
Start = Callable[[Settings, LeadPulseConfig], RunningRouter]


def _row(html: str, table: str, connector: str) -> list[str]:
    """The text of each cell of the connector's row in the table with that id."""
    found = re.search(rf'<table id="{table}">(.*?)</table>', html, re.S)
    assert found, f"no table {table}"
    row = re.search(rf'<tr data-connector="{connector}">(.*?)</tr>', found.group(1), re.S)
    assert row, f"no row for {connector} in {table}"
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]


async def _demo_request(settings: Settings, email: str) -> None:
    demo = track("Demo Requested", email=email, when=datetime.now(UTC))
    producer = AIOKafkaProducer(**producer_options(settings))
    await producer.start()
    try:
        await producer.send_and_wait(settings.topics.events, published(demo), key=demo.key.encode())
    finally:
        await producer.stop()


async def test_alerts_page_shows_the_connector_and_lead_page_links_the_contact(
    router_settings: Callable[..., Settings],
    start_router: Start,
    edge_factory: EdgeFactory,
    redis_client: Any,
) -> None:
    """A lead written to HubSpot: the alerts page's CRM row counts it; the lead page links its
    contact in the portal and says when it was synced."""
    async with HubSpotServer() as hubspot:
        settings = hubspot_settings(router_settings(scorer_health_port=0), hubspot)
        config = hubspot_config(portal_id=PORTAL)
        await ensure_topics(settings)
        stop = asyncio.Event()
        scorer = asyncio.create_task(run_scorer(settings, config, stop))
        start_router(settings, config)
        email = "frank@initech.example"
        await _demo_request(settings, email)
        await wait_until(lambda: email in hubspot.contacts, 40, "the contact never arrived")
        stop.set()
        await asyncio.wait_for(scorer, 20)
        contact = hubspot.contacts[email]
        lead_id = contact["leadpulse_url"].rsplit("/", 1)[1]
        async with edge_factory(config) as edge, edge.client() as client:
            cookie = await login(client)

            async def counted() -> list[str]:
                page = await client.get("/dashboard/alerts", headers=cookie)
                assert page.status_code == 200
                return _row(page.text, "crm-connectors", "hubspot")

            row = await counted()
            for _ in range(100):  # the health hash is added to just after the batch lands
                if row[3] == "1":
                    break
                await asyncio.sleep(0.05)
                row = await counted()
            name, kind, last, written, error_rate, waits, open_letters = row
            assert (name, kind, written, error_rate, waits, open_letters) == (
                "hubspot",
                "hubspot",
                "1",
                "0.0%",
                "0",
                "0",
            )
            assert last in ("just now", "1 min ago")
            page = await client.get(f"/dashboard/leads/{lead_id}", headers=cookie)
            assert page.status_code == 200
            link = f"https://app.hubspot.com/contacts/{PORTAL}/record/0-1/{contact['hs_object_id']}"
            assert f'href="{link}"' in page.text
            connector, record_id, synced = _row(page.text, "crm-records", "hubspot")
            assert (connector, record_id) == ("hubspot", contact["hs_object_id"])
            assert synced in ("just now", "1 min ago")
