"""Salesforce Outbound Messages through ingest and the scorer: the Ack, the lead's stage,
redelivery, out-of-order delivery, and senders that are not our organization."""

from __future__ import annotations

from tests.integration.ingest.crm_inbound.conftest import (
    GOLDEN,
    ORG_ID,
    SECRET,
    Crm,
    crm_ids,
    opportunity,
)
from tests.vendors.salesforce_ack import assert_ack

EMAIL = "buyer@initech.example"


async def test_a_won_opportunity_makes_a_customer_and_is_acknowledged(crm: Crm) -> None:
    """IsWon=true for the person in LeadPulse_Email__c: the Ack envelope, then `customer`."""
    async with crm.client() as client:
        await crm.identify(client, EMAIL)
        answer = await crm.salesforce_post(
            client, opportunity(EMAIL, "04l5e00000Gx7QzAAJ", "2026-12-01T10:15:00.000Z")
        )
        assert answer.status_code == 200, answer.text
        assert_ack(answer)
        lead = await crm.lead_when(client, EMAIL, lambda x: x["stage"] == "customer", "won")
    assert crm_ids(lead) == [f"salesforce:{ORG_ID[:15]}:04l5e00000Gx7QzAAJ"]


async def test_a_redelivered_notification_is_acknowledged_and_not_applied_again(
    crm: Crm,
) -> None:
    """The same Notification Id again (Salesforce retries until it sees the Ack): Ack, and
    the lead's CRM history holds it once."""
    won = opportunity(EMAIL, "04l5e00000Gx7Q1AAJ", "2026-12-01T10:15:00.000Z")
    async with crm.client() as client:
        await crm.identify(client, EMAIL)
        for _ in range(2):
            answer = await crm.salesforce_post(client, won)
            assert answer.status_code == 200
            assert_ack(answer)
        # A later loss is the barrier: once it shows, a second won would have shown first.
        lost = opportunity(EMAIL, "04l5e00000Gx7Q2AAJ", "2026-12-01T11:00:00.000Z", won=False)
        assert (await crm.salesforce_post(client, lost)).status_code == 200
        lead = await crm.lead_when(client, EMAIL, lambda x: x["stage"] == "recycle", "lost")
    org = ORG_ID[:15]
    assert crm_ids(lead) == [
        f"salesforce:{org}:04l5e00000Gx7Q1AAJ",
        f"salesforce:{org}:04l5e00000Gx7Q2AAJ",
    ]


async def test_an_older_notification_arriving_late_does_not_undo_a_newer_outcome(
    crm: Crm,
) -> None:
    """Lost at 11:00 arrives first, won at 10:15 after it: acknowledged, dropped; the lead
    stays recycled."""
    async with crm.client() as client:
        await crm.identify(client, EMAIL)
        lost = opportunity(EMAIL, "04l5e00000Gx7Q3AAJ", "2026-12-01T11:00:00.000Z", won=False)
        won = opportunity(EMAIL, "04l5e00000Gx7Q4AAJ", "2026-12-01T10:15:00.000Z")
        for body in (lost, won):
            answer = await crm.salesforce_post(client, body)
            assert answer.status_code == 200
            assert_ack(answer)
        # Barrier: a newer Lead-status outcome for the same person, applied after both.
        later = (GOLDEN / "lead_status.xml").read_bytes()
        later = later.replace(b"prospect@initech.example", EMAIL.encode())
        later = later.replace(b"2026-12-01T09:00:00.000Z", b"2026-12-01T12:00:00.000Z")
        later = later.replace(b"Working - Contacted", b"Closed - Not Converted")
        assert (await crm.salesforce_post(client, later)).status_code == 200
        lead = await crm.lead_when(
            client, EMAIL, lambda x: len(crm_ids(x)) >= 2, "the later Lead status"
        )
    assert "customer" not in [entry["stage"] for entry in lead["stage_history"]]
    assert "04l5e00000Gx7Q4AAJ" not in " ".join(crm_ids(lead))


async def test_a_wrong_secret_is_refused_without_an_ack(crm: Crm) -> None:
    """A URL secret that is not ours: 401 naming it, no Ack, nothing applied."""
    async with crm.client() as client:
        answer = await crm.salesforce_post(
            client,
            opportunity(EMAIL, "04l5e00000Gx7Q5AAJ", "2026-12-01T10:15:00.000Z"),
            secret="guessed",
        )
        listed = (await client.get("/v1/leads", headers=SECRET)).json()
    assert answer.status_code == 401
    assert "secret" in answer.json()["error"]["message"]
    assert b"<Ack>" not in answer.content
    assert listed["total"] == 0


async def test_another_organization_is_refused_without_an_ack(crm: Crm) -> None:
    """The right secret but another OrganizationId: 403, no Ack."""
    body = opportunity(EMAIL, "04l5e00000Gx7Q6AAJ", "2026-12-01T10:15:00.000Z")
    body = body.replace(ORG_ID.encode(), b"00D5e000000ZZZZEAG")
    async with crm.client() as client:
        answer = await crm.salesforce_post(client, body)
    assert answer.status_code == 403
    assert answer.json()["error"]["field"] == "OrganizationId"
    assert b"<Ack>" not in answer.content


async def test_hostile_and_malformed_xml_is_400_without_an_ack(crm: Crm) -> None:
    """An entity bomb and a truncated body, with the right secret: 400, no Ack."""
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">&b;'
        b"</soapenv:Envelope>"
    )
    truncated = opportunity(EMAIL, "04l5e00000Gx7Q7AAJ", "2026-12-01T10:15:00.000Z")[:400]
    async with crm.client() as client:
        answers = [await crm.salesforce_post(client, body) for body in (bomb, truncated)]
    assert [a.status_code for a in answers] == [400, 400]
    assert all(b"<Ack>" not in a.content for a in answers)


async def test_an_oversized_body_is_413_and_a_stranger_is_refused_before_it_is_read(
    crm: Crm,
) -> None:
    """Past the batch limit: 413 for our secret; a wrong secret is 401 whatever the size."""
    huge = b"<a>" + b" " * (600 * 1024) + b"</a>"
    async with crm.client() as client:
        ours = await crm.salesforce_post(client, huge)
        stranger = await crm.salesforce_post(client, huge, secret="guessed")
    assert (ours.status_code, stranger.status_code) == (413, 401)


async def test_a_notification_for_another_object_is_acknowledged_and_ignored(crm: Crm) -> None:
    """An Account notification (not an outcome): the Ack, so Salesforce stops resending."""
    body = opportunity(EMAIL, "04l5e00000Gx7Q8AAJ", "2026-12-01T10:15:00.000Z")
    body = body.replace(b'xsi:type="sf:Opportunity"', b'xsi:type="sf:Account"')
    async with crm.client() as client:
        answer = await crm.salesforce_post(client, body)
        listed = (await client.get("/v1/leads", headers=SECRET)).json()
    assert_ack(answer)
    assert listed["total"] == 0


async def test_a_lead_known_by_its_leadpulse_id_is_reached(crm: Crm) -> None:
    """A Lead notification with no email but the `ld_...` id LeadPulse wrote into
    LeadPulse_Id__c: that lead is recycled (Closed - Not Converted -> not_now)."""
    async with crm.client() as client:
        await crm.identify(client, EMAIL)
        lead = await crm.lead(client, EMAIL)
        assert lead is not None
        body = (GOLDEN / "lead_status.xml").read_bytes()
        body = body.replace(b"prospect@initech.example", b"someone.else@initech.example")
        body = body.replace(b"ld_7a1b2c3d", lead["lead_id"].encode())
        answer = await crm.salesforce_post(client, body)
        assert_ack(answer)
        await crm.lead_when(client, EMAIL, lambda x: x["stage"] == "recycle", "recycled")
