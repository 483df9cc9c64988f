"""HubSpot deal-stage webhooks through ingest and the scorer: the lead's stage, its funnel,
and what a forged, stale or redelivered webhook does (nothing)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson

from leadpulse.kernel.config import load_config
from leadpulse.kernel.config.crm_inbound import CrmInboundConfig, HubSpotInbound
from tests.integration.ingest.conftest import EdgeFactory
from tests.integration.ingest.crm_inbound.conftest import (
    PORTAL,
    SECRET,
    Crm,
    crm_ids,
    crm_stack,
    deal_event,
)
from tests.vendors.hubspot_signing import hubspot_headers

EMAIL = "buyer@initech.example"


async def test_a_closedwon_deal_makes_its_contact_a_customer_in_the_funnel(crm: Crm) -> None:
    """A signed dealstage=closedwon webhook: the deal's contact becomes `customer` and the
    funnel counts one customer."""
    crm.hubspot.add_deal("9001", {"101": EMAIL})
    async with crm.client() as client:
        await crm.identify(client, EMAIL)
        answer = await crm.hubspot_post(client, [deal_event(1, 9001, "closedwon")])
        assert answer.status_code == 200, answer.text
        assert answer.json()["outcomes"] == 1
        lead = await crm.lead_when(client, EMAIL, lambda x: x["stage"] == "customer", "won")
        assert crm_ids(lead) == [f"hubspot:{PORTAL}:1:101"]
        today = datetime.now(UTC).date()
        window = {
            "from": (today - timedelta(days=1)).isoformat(),
            "to": (today + timedelta(days=1)).isoformat(),
        }
        funnel = (await client.get("/v1/funnel", params=window, headers=SECRET)).json()
    flows = {row["stage"]: row["flow"] for row in funnel["stages"]}
    assert flows["customer"] == 1


async def test_a_closedlost_deal_recycles_every_contact_on_it(crm: Crm) -> None:
    """closedlost -> `recycle`, for each contact associated with the deal."""
    other = "colleague@initech.example"
    crm.hubspot.add_deal("9002", {"101": EMAIL, "102": other})
    async with crm.client() as client:
        for email in (EMAIL, other):
            await crm.identify(client, email)
        answer = await crm.hubspot_post(client, [deal_event(2, 9002, "closedlost")])
        assert answer.status_code == 200, answer.text
        for email in (EMAIL, other):
            await crm.lead_when(client, email, lambda x: x["stage"] == "recycle", "recycled")


async def test_bad_or_stale_signatures_are_refused_and_change_nothing(crm: Crm) -> None:
    """A wrong secret or a signature over 5 minutes old: 401 naming why, HubSpot is not even
    asked for the deal, and only the later genuine webhook reaches the lead."""
    crm.hubspot.add_deal("9003", {"101": EMAIL})
    async with crm.client() as client:
        await crm.identify(client, EMAIL)
        forged = await crm.hubspot_post(
            client, [deal_event(3, 9003, "closedwon")], secret="not-the-app-secret"
        )
        stale = await crm.hubspot_post(
            client, [deal_event(4, 9003, "closedwon")], age_seconds=6 * 60
        )
        unsigned = await client.post(
            "/v1/crm/hubspot/webhooks", content=orjson.dumps([deal_event(5, 9003, "closedwon")])
        )
        assert [forged.status_code, stale.status_code, unsigned.status_code] == [401, 401, 401]
        assert "does not match" in forged.json()["error"]["message"]
        assert "5 minutes" in stale.json()["error"]["message"]
        assert crm.hubspot.requests == []
        genuine = await crm.hubspot_post(client, [deal_event(6, 9003, "closedlost")])
        assert genuine.status_code == 200
        lead = await crm.lead_when(client, EMAIL, lambda x: x["stage"] == "recycle", "lost")
    assert crm_ids(lead) == [f"hubspot:{PORTAL}:6:101"]
    assert "customer" not in [entry["stage"] for entry in lead["stage_history"]]


async def test_a_body_changed_after_signing_is_refused(crm: Crm) -> None:
    """A captured request replayed with closedlost turned into closedwon does not verify."""
    async with crm.client() as client:
        body = orjson.dumps([deal_event(7, 9004, "closedlost")])
        headers = hubspot_headers(
            "hs-client-secret-0b6f5a0e", f"{crm.edge.base}/v1/crm/hubspot/webhooks", body
        )
        tampered = body.replace(b"closedlost", b"closedwon")
        answer = await client.post("/v1/crm/hubspot/webhooks", content=tampered, headers=headers)
    assert answer.status_code == 401


async def test_the_same_event_id_twice_changes_the_lead_once(crm: Crm) -> None:
    """HubSpot redelivers eventId 8 (re-signed, later): acknowledged, not applied again."""
    crm.hubspot.add_deal("9005", {"101": EMAIL})
    async with crm.client() as client:
        await crm.identify(client, EMAIL)
        event = deal_event(8, 9005, "closedwon")
        first = await crm.hubspot_post(client, [event])
        again = await crm.hubspot_post(client, [event | {"attemptNumber": 1}])
        assert (first.status_code, again.status_code) == (200, 200)
        assert (first.json()["outcomes"], again.json()["duplicates"]) == (1, 1)
        asked = len(crm.hubspot.requests)
        # A later, different outcome for the same lead is the barrier: once it shows, the
        # redelivery would have shown before it.
        lost = await crm.hubspot_post(client, [deal_event(9, 9005, "closedlost")])
        assert lost.status_code == 200
        lead = await crm.lead_when(client, EMAIL, lambda x: x["stage"] == "recycle", "lost")
    assert crm_ids(lead) == [f"hubspot:{PORTAL}:8:101", f"hubspot:{PORTAL}:9:101"]
    assert asked == 2  # the deal and its contact, read once


async def test_events_that_are_not_outcomes_are_acknowledged_and_ignored(crm: Crm) -> None:
    """Other subscriptions and unmapped stages get a 2xx (else HubSpot retries) and nothing
    more: no lead is created, HubSpot is not asked."""
    events = [
        deal_event(10, 9006, "appointmentscheduled"),
        deal_event(11, 9006, "closedwon", subscriptionType="deal.creation"),
        deal_event(12, 9006, "closedwon", propertyName="amount"),
        {"eventId": "not-a-number"},
    ]
    async with crm.client() as client:
        answer = await crm.hubspot_post(client, events)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"received": 4, "outcomes": 0, "duplicates": 0}
        listed = (await client.get("/v1/leads", headers=SECRET)).json()
    assert listed["total"] == 0
    assert crm.hubspot.requests == []


async def test_hubspot_unavailable_answers_503_and_the_retry_goes_through(crm: Crm) -> None:
    """HubSpot's API failing while we read the deal: 503 (HubSpot retries), and the retry of
    the same eventId, once it is back, is applied rather than taken for a duplicate."""
    crm.hubspot.add_deal("9007", {"101": EMAIL})
    async with crm.client() as client:
        await crm.identify(client, EMAIL)
        crm.hubspot.fail_with = 429
        event = deal_event(13, 9007, "closedwon")
        failed = await crm.hubspot_post(client, [event])
        assert failed.status_code == 503, failed.text
        crm.hubspot.fail_with = None
        retried = await crm.hubspot_post(client, [event | {"attemptNumber": 1}])
        assert retried.status_code == 200 and retried.json()["outcomes"] == 1
        await crm.lead_when(client, EMAIL, lambda x: x["stage"] == "customer", "won")


async def test_a_slow_hubspot_is_answered_within_its_five_second_timeout(crm: Crm) -> None:
    """HubSpot's API hanging: a sender that gives up after 5 s, as HubSpot does, still gets
    our 503 (a time-out would leave the claim taken and the answer unknown)."""
    crm.hubspot.add_deal("9008", {"101": EMAIL})
    crm.hubspot.delay = 8.0
    async with httpx.AsyncClient(base_url=crm.edge.base, timeout=5) as client:
        answer = await crm.hubspot_post(client, [deal_event(14, 9008, "closedwon")])
    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "crm_unavailable"


async def test_an_oversized_body_is_refused_before_it_is_read(crm: Crm) -> None:
    """A body past the batch limit is 413, whatever it claims to be."""
    async with crm.client() as client:
        huge = b"[" + b" " * (600 * 1024) + b"]"
        answer = await client.post("/v1/crm/hubspot/webhooks", content=huge)
    assert answer.status_code == 413


async def test_a_batch_too_large_for_one_answer_completes_over_redeliveries(
    edge_factory: EdgeFactory, redis_client: Any
) -> None:
    """Three closed deals while HubSpot's API is slow: each delivery publishes what it could
    read in time and answers 503 for the rest; HubSpot's redeliveries finish the batch, and
    no deal is applied twice."""
    base = load_config()
    hubspot = HubSpotInbound(resolve_timeout_seconds=1.0)
    crm_config = base.crm.model_copy(update={"inbound": CrmInboundConfig(hubspot=hubspot)})
    config = base.model_copy(update={"crm": crm_config})
    emails = [f"buyer{n}@initech.example" for n in range(3)]
    async with crm_stack(edge_factory, config) as crm, crm.client() as client:
        for n, email in enumerate(emails):
            crm.hubspot.add_deal(str(9100 + n), {str(200 + n): email})
            await crm.identify(client, email)
        crm.hubspot.delay = 0.3  # a deal and its contact: 0.6 s of the 1 s deadline
        events = [deal_event(20 + n, 9100 + n, "closedwon") for n in range(3)]
        statuses = []
        for attempt in range(6):
            answer = await crm.hubspot_post(
                client, [e | {"attemptNumber": attempt} for e in events]
            )
            statuses.append(answer.status_code)
            if answer.status_code == 200:
                break
        assert statuses[0] == 503 and statuses[-1] == 200, statuses
        for n, email in enumerate(emails):
            lead = await crm.lead_when(client, email, lambda x: x["stage"] == "customer", email)
            assert crm_ids(lead) == [f"hubspot:{PORTAL}:{20 + n}:{200 + n}"]


async def test_a_contact_becoming_a_customer_in_hubspot_makes_a_customer(crm: Crm) -> None:
    """`contact.propertyChange` lifecyclestage=customer: the contact's email is read from
    HubSpot and the lead becomes `customer`."""
    crm.hubspot.contacts["301"] = EMAIL
    event = deal_event(
        30,
        301,
        "customer",
        subscriptionType="contact.propertyChange",
        propertyName="lifecyclestage",
    )
    async with crm.client() as client:
        await crm.identify(client, EMAIL)
        answer = await crm.hubspot_post(client, [event])
        assert answer.status_code == 200 and answer.json()["outcomes"] == 1, answer.text
        lead = await crm.lead_when(client, EMAIL, lambda x: x["stage"] == "customer", "won")
    assert crm_ids(lead) == [f"hubspot:{PORTAL}:30:301"]
    assert crm.hubspot.requests == [("GET", "/crm/v3/objects/contacts/301")]
