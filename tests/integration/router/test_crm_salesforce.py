"""Lead changes written to Salesforce Leads through simple-salesforce, end to end: the real
broker, Valkey and router against the local Salesforce org (`tests.vendors.salesforce_api`,
which follows Salesforce's REST API docs for the client-credentials token and sObject
Collections)."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
import yaml

from leadpulse.kernel.config import LeadPulseConfig, default_config_path
from leadpulse.kernel.settings import Settings
from router.crm import build_connectors
from router.crm.types import Write
from router.read import lead_crm_records
from tests.integration.router.crm_support import (
    change,
    new_lead,
    produce_changes,
    salesforce_config,
    salesforce_settings,
)
from tests.integration.router.support import RunningRouter, wait_until
from tests.vendors.salesforce_api import SalesforceServer

pytestmark = pytest.mark.timeout(90)

Start = Callable[[Settings, LeadPulseConfig], RunningRouter]


@pytest.fixture
def trust(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[SalesforceServer], None]]:
    """Make requests (simple-salesforce's HTTP) trust the local org's certificate."""

    def apply(server: SalesforceServer) -> None:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_path))

    yield apply


def _holds(server: SalesforceServer, lead_id: str, change_id: str) -> bool:
    return server.leads.get(lead_id, {}).get("leadpulse_change_id__c") == change_id


async def _record_ids(redis: aioredis.Redis, lead_ids: list[str]) -> dict[str, str | None]:
    """The Salesforce record id noted for each lead (None: not written, or no id)."""
    found = {}
    for lead_id in lead_ids:
        records = await lead_crm_records(redis, lead_id)
        found[lead_id] = records[0].record_id if records else None
    return found


async def test_leads_are_upserted_by_external_id_with_required_fields_only_on_create(
    router_settings: Callable[..., Settings],
    start_router: Start,
    trust: Callable[[SalesforceServer], None],
    tmp_path: Path,
) -> None:
    """New Lead: LastName/Company from the email; later writes leave what sales typed."""
    async with SalesforceServer(tmp_path) as org:
        trust(org)
        settings = salesforce_settings(router_settings(), org)
        start_router(settings, salesforce_config())
        lead = new_lead()
        first = change(lead, 0, stage="mql", score=72.5)
        await produce_changes(settings, [first])
        await wait_until(lambda: _holds(org, lead, first.change_id), 30, "the Lead was created")
        created = org.leads[lead]
        assert created["LastName"] == lead and created["Company"] == "acme.example"
        assert created["Email"] == first.email and created["leadpulse_score__c"] == 72.5
        assert created["leadpulse_stage__c"] == "mql"
        assert created["leadpulse_top_reasons__c"] == "page_view +0"
        org.leads[lead]["LastName"] = "Okafor"  # sales fixed the name
        second = change(lead, 1, stage="sql", score=90.0)
        await produce_changes(settings, [second])
        await wait_until(lambda: _holds(org, lead, second.change_id), 30, "the Lead was updated")
        assert org.leads[lead]["LastName"] == "Okafor"
        assert org.leads[lead]["leadpulse_stage__c"] == "sql"
        assert "LastName" not in org.upserted[-1]


async def test_an_expired_session_is_renewed_and_the_write_lands(
    router_settings: Callable[..., Settings],
    start_router: Start,
    trust: Callable[[SalesforceServer], None],
    tmp_path: Path,
) -> None:
    """A 401 INVALID_SESSION_ID makes the connector fetch a new token and write again."""
    async with SalesforceServer(tmp_path) as org:
        trust(org)
        settings = salesforce_settings(router_settings(), org)
        start_router(settings, salesforce_config())
        lead = new_lead()
        await produce_changes(settings, [change(lead, 0)])
        await wait_until(lambda: lead in org.leads, 30, "the first write")
        org.expire_sessions()
        later = change(lead, 1, score=50.0)
        await produce_changes(settings, [later])
        await wait_until(lambda: _holds(org, lead, later.change_id), 30, "the write after 401")
        assert org.logins == 2


async def test_a_converted_lead_has_its_contact_updated(
    router_settings: Callable[..., Settings],
    start_router: Start,
    trust: Callable[[SalesforceServer], None],
    tmp_path: Path,
    redis_client: aioredis.Redis,
) -> None:
    """Salesforce refuses the converted Lead; its Contact gets the new values instead (and
    its id is the lead's record id from then on)."""
    async with SalesforceServer(tmp_path) as org:
        trust(org)
        settings = salesforce_settings(router_settings(), org)
        start_router(settings, salesforce_config())
        lead, other = new_lead(), new_lead()
        await produce_changes(settings, [change(lead, 0), change(other, 0)])
        await wait_until(lambda: lead in org.leads and other in org.leads, 30, "the Leads")
        contact = org.convert(lead)
        won = change(lead, 1, stage="customer", score=120.0)
        still = change(other, 1, score=33.0)
        await produce_changes(settings, [won, still])
        await wait_until(
            lambda: org.contacts[contact].get("leadpulse_change_id__c") == won.change_id,
            30,
            "the Contact was updated",
        )
        assert org.contacts[contact]["leadpulse_stage__c"] == "customer"
        assert org.contacts[contact]["leadpulse_score__c"] == 120.0
        await wait_until(lambda: _holds(org, other, still.change_id), 30, "the other Lead")
        assert org.leads[lead]["leadpulse_stage__c"] == "lead"  # the Lead itself is read-only
        expected = {lead: contact, other: org.leads[other]["Id"]}
        deadline = time.monotonic() + 20
        while await _record_ids(redis_client, [lead, other]) != expected:
            assert time.monotonic() < deadline, "the record ids were never noted"
            await asyncio.sleep(0.05)


async def test_a_batch_cut_short_is_read_back_from_leads_and_converted_contacts(
    trust: Callable[[SalesforceServer], None], tmp_path: Path
) -> None:
    """After a crash, SOQL tells which changes landed: on the Lead, or on its Contact."""
    async with SalesforceServer(tmp_path) as org:
        trust(org)
        connector = build_connectors(
            salesforce_settings(Settings(_env_file=None), org),
            salesforce_config(),
            {},
        )[0]
        await connector.prepare()
        writes = [Write(change(new_lead(), 0)) for _ in range(3)]
        planned = [(connector.plan(w, None), connector.payload(w, None)) for w in writes]
        assert (await connector.write(planned[:2])).refused == {}
        org.convert(writes[1].change.lead_id)
        landed = await connector.applied([written for written, _ in planned])
        assert landed == {writes[0].change.change_id, writes[1].change.change_id}
        await connector.aclose()


async def test_crm_check_names_every_salesforce_field_it_found(
    trust: Callable[[SalesforceServer], None], tmp_path: Path
) -> None:
    """`leadpulse crm check` logs in and lists the Lead and Contact fields."""
    async with SalesforceServer(tmp_path) as org:
        trust(org)
        config = tmp_path / "sf.yaml"
        raw = yaml.safe_load(default_config_path().read_text())
        raw["routing"]["destinations"] = [{"name": "salesforce", "type": "salesforce"}]
        config.write_text(yaml.safe_dump(raw))
        env = {k: v for k, v in os.environ.items() if not k.startswith("LP_")}
        env.update(
            {
                "LP_CONFIG": str(config),
                "LP_DATA_DIR": str(tmp_path / "cli"),
                "LP_SALESFORCE_LOGIN_URL": org.url,
                "LP_SALESFORCE_CLIENT_ID": org.client_id,
                "LP_SALESFORCE_CLIENT_SECRET": org.client_secret,
                "COLUMNS": "200",
            }
        )
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "leadpulse", "crm", "check", env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await asyncio.wait_for(proc.communicate(), 60)
        text = err.decode()
        assert proc.returncode == 0, text
        assert "credentials ok" in text
        assert "Lead.LeadPulse_Id__c" in text and "Contact.leadpulse_score__c" in text
        assert org.logins == 1 and org.upserted == []
