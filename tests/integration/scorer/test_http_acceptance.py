"""Issue 4's acceptance checks through the public HTTP API only (ingest -> Kafka -> scorer)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from leadpulse.kernel.schema import Alert
from leadpulse.kernel.settings import Settings
from tests.integration.scorer.conftest import (
    SECRET,
    WRITE,
    Edge,
    ScorerStarter,
    read_alerts,
    wait_for,
)

UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


def _now(minutes: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


def _page(anon: str, path: str, minutes: float, email: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": "page",
        "messageId": uuid.uuid4().hex,
        "anonymousId": anon,
        "timestamp": _now(minutes),
        "context": {"userAgent": UA, "page": {"path": path, "url": f"https://site.example{path}"}},
        "properties": {"path": path, "url": f"https://site.example{path}"},
    }
    if email:
        message["context"]["traits"] = {"email": email}
    return message


def _track(anon: str, email: str, event: str, minutes: float = 0, **extra: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "event": event,
        "messageId": uuid.uuid4().hex,
        "anonymousId": anon,
        "timestamp": _now(minutes),
        "context": {"userAgent": UA, "traits": {"email": email}, **extra},
    }


async def _batch(client: httpx.AsyncClient, messages: list[dict[str, Any]]) -> None:
    for start in range(0, len(messages), 100):
        response = await client.post(
            "/v1/batch", json={"batch": messages[start : start + 100]}, auth=WRITE
        )
        assert response.status_code == 200, response.text
        assert response.json()["rejected"] == [], response.text


async def _crm(client: httpx.AsyncClient, email: str, outcome: str) -> None:
    body = {"event_id": uuid.uuid4().hex, "type": outcome, "email": email, "occurred_at": _now()}
    response = await client.post("/v1/crm/events", json=body, headers=SECRET)
    assert response.status_code in (200, 202), response.text


async def _lead_when(client: httpx.AsyncClient, ref: str, check: Any, what: str) -> dict[str, Any]:
    found: dict[str, Any] = {}

    async def ready() -> bool:
        response = await client.get(f"/v1/leads/{ref}", headers=SECRET)
        if response.status_code == 200 and check(response.json()):
            found.update(response.json())
            return True
        return False

    await wait_for(ready, within=30, what=what)
    return found


async def test_anonymous_pages_then_identify_make_one_lead(
    edge: Edge, start_scorer: ScorerStarter
) -> None:
    """Pages viewed anonymously, then identify: GET /v1/leads/{email} holds those pages."""
    await start_scorer()
    async with edge.client() as client:
        await _batch(
            client,
            [
                _page("web-1", p, i)
                for i, p in enumerate(["/demo/blog/a", "/demo/pricing", "/demo/case-studies/acme"])
            ],
        )
        identify = {
            "anonymousId": "web-1",
            "traits": {"email": "Ida@Initech.example"},
            "context": {"userAgent": UA},
        }
        assert (await client.post("/v1/identify", json=identify, auth=WRITE)).status_code == 200
        lead = await _lead_when(
            client,
            "ida@initech.example",
            lambda lead: sum(e["type"] == "page" for e in lead["timeline"]) == 3,
            "the anonymous pages in the lead",
        )
        assert lead["stage"] == "lead" and lead["consideration"] == "late"
        by_id = await client.get(f"/v1/leads/{lead['lead_id']}", headers=SECRET)
        assert by_id.json()["email"] == "ida@initech.example"
        listed = (await client.get("/v1/leads", headers=SECRET)).json()
        assert listed["total"] == 1


async def test_demo_requested_makes_an_mql_and_one_alert(
    edge: Edge, start_scorer: ScorerStarter, scorer_settings: Settings
) -> None:
    """Track `Demo Requested` -> stage mql and exactly one mql alert intent."""
    await start_scorer()
    async with edge.client() as client:
        await _batch(client, [_track("web-2", "jo@globex.example", "Demo Requested")])
        await _lead_when(client, "jo@globex.example", lambda lead: lead["stage"] == "mql", "mql")
        mql = await client.get("/v1/leads", params={"stage": "mql"}, headers=SECRET)
        assert [lead["email"] for lead in mql.json()["leads"]] == ["jo@globex.example"]
    alerts = await read_alerts(scorer_settings, expect=1)
    assert [a.type for a in alerts] == ["mql"]
    assert alerts[0].lead.email == "jo@globex.example"


async def test_crm_lost_then_five_visits_raises_lost_deal_returned(
    edge: Edge, start_scorer: ScorerStarter, scorer_settings: Settings
) -> None:
    """CRM `lost`, then 5 visits: recycled with nurture_paused_until, one lost_deal_returned."""
    await start_scorer()
    email = "kim@hooli.example"
    async with edge.client() as client:
        await _batch(client, [_track("web-3", email, "Form Submitted", -10)])
        await _lead_when(client, email, lambda lead: lead["stage"] == "lead", "the lead")
        await _crm(client, email, "lost")
        await _lead_when(client, email, lambda lead: lead["stage"] == "recycle", "recycled")
        await _batch(client, [_page("web-3", f"/demo/pricing/{i}", 1 + i, email) for i in range(5)])
        lead = await _lead_when(
            client,
            email,
            lambda lead: any(a["type"] == "lost_deal_returned" for a in lead["alerts"]),
            "the lost deal alert",
        )
        assert lead["nurture_paused_until"] is not None
    alerts = await read_alerts(scorer_settings, expect=1)
    assert [a.type for a in alerts] == ["lost_deal_returned"]


async def test_colleagues_returning_after_a_lost_deal_alert_for_the_account(
    edge: Edge, start_scorer: ScorerStarter, scorer_settings: Settings
) -> None:
    """Kim's deal is lost; then Lee, same company, visits: one account-level alert, for Lee."""
    await start_scorer()
    kim, lee = "kim@initrode.example", "lee@initrode.example"
    async with edge.client() as client:
        await _batch(
            client,
            [
                _track("web-k", kim, "Form Submitted", -10),
                _track("web-l", lee, "Form Submitted", -9),
            ],
        )
        await _lead_when(client, lee, lambda lead: lead["stage"] == "lead", "Lee's lead")
        await _crm(client, kim, "lost")
        await _lead_when(client, kim, lambda lead: lead["stage"] == "recycle", "Kim recycled")
        found: list[Alert] = []

        async def account_alert() -> bool:
            # Visits count once the scorer's tick has seen the loss: keep visiting until then.
            await _batch(client, [_page("web-l", "/demo/pricing", 1, lee)])
            found[:] = [
                a
                for a in await read_alerts(scorer_settings, expect=1, within=0.5)
                if a.type == "lost_deal_returned"
            ]
            return bool(found)

        await wait_for(account_alert, within=40, what="the account's lost deal alert")
    alerts = [
        a for a in await read_alerts(scorer_settings, expect=1) if a.type == "lost_deal_returned"
    ]
    assert len(alerts) == 1
    assert alerts[0].account_id == "initrode.example" and alerts[0].lead.email == lee
    assert "initrode.example" in alerts[0].reason


async def test_crm_outcomes_by_leadpulse_lead_id_reach_that_lead(
    edge: Edge, start_scorer: ScorerStarter
) -> None:
    """A CRM event naming the alert's lead id (no email) moves that lead; no second lead."""
    await start_scorer()
    email = "lou@hooli.example"
    async with edge.client() as client:
        await _batch(client, [_track("web-9", email, "Form Submitted", -10)])
        lead = await _lead_when(client, email, lambda lead: lead["stage"] == "lead", "the lead")
        body = {
            "event_id": uuid.uuid4().hex,
            "type": "accepted",
            "lead_id": lead["lead_id"],
            "occurred_at": _now(),
        }
        response = await client.post("/v1/crm/events", json=body, headers=SECRET)
        assert response.status_code in (200, 202), response.text
        await _lead_when(client, email, lambda lead: lead["stage"] == "sal", "accepted by id")
        listed = (await client.get("/v1/leads", headers=SECRET)).json()
        assert listed["total"] == 1


async def test_read_api_refuses_bad_queries_and_unknown_leads(
    edge: Edge, start_scorer: ScorerStarter
) -> None:
    """4xx naming the field for bad query params; 404 for unknown leads; 401 without a key."""
    async with edge.client() as client:
        assert (await client.get("/v1/leads/nobody@x.example", headers=SECRET)).status_code == 404
        assert (await client.delete("/v1/leads/ld_nope", headers=SECRET)).status_code == 404
        for params, field in [
            ({"stage": "bogus"}, "stage"),
            ({"min_score": "lots"}, "min_score"),
            ({"min_score": "nan"}, "min_score"),
            ({"min_score": "-inf"}, "min_score"),
            ({"limit": "0"}, "limit"),
        ]:
            response = await client.get("/v1/leads", params=params, headers=SECRET)
            assert response.status_code in (400, 422) and response.json()["error"]["field"] == field
        bad = await client.get("/v1/funnel", params={"from": "yesterday"}, headers=SECRET)
        assert bad.status_code == 400 and bad.json()["error"]["field"] == "from"
        by = await client.get("/v1/funnel", params={"by": "color"}, headers=SECRET)
        assert by.status_code == 400 and by.json()["error"]["field"] == "by"
        assert (await client.get("/v1/leads")).status_code == 401


async def test_delete_forgets_the_person_and_drops_later_events(
    edge: Edge, start_scorer: ScorerStarter
) -> None:
    """DELETE /v1/leads/{email}: the lead is gone (404), later events are not scored."""
    await start_scorer()
    email = "lou@nakatomi.example"
    async with edge.client() as client:
        await _batch(client, [_page("web-4", "/demo/pricing", 0)])
        identify = {
            "anonymousId": "web-4",
            "traits": {"email": email},
            "context": {"userAgent": UA},
        }
        assert (await client.post("/v1/identify", json=identify, auth=WRITE)).status_code == 200
        await _lead_when(client, email, lambda lead: len(lead["timeline"]) == 2, "merged")
        deleted = await client.delete(f"/v1/leads/{email}", headers=SECRET)
        assert deleted.status_code == 202

        async def gone() -> bool:
            response = await client.get(f"/v1/leads/{email}", headers=SECRET)
            return response.status_code == 404

        await wait_for(gone, within=30, what="the lead forgotten")
        await client.post(
            "/v1/batch", json={"batch": [_page("web-4", "/demo/blog/x", 5)]}, auth=WRITE
        )
        await _batch(client, [_page("web-5", "/demo/blog/y", 6)])
        await _lead_when(client, "anon:web-5", lambda lead: True, "another visitor scored")
        assert (await client.get("/v1/leads/anon:web-4", headers=SECRET)).status_code == 404
        assert (await client.get("/v1/leads", headers=SECRET)).json()["total"] == 1


async def test_the_books_funnel_through_ingest(edge: Edge, start_scorer: ScorerStarter) -> None:
    """10,000 leads in, 70% nurtured, 10% disqualified: /v1/funnel says 7,000 / 1,000 / 2,000."""
    await start_scorer()
    emails = [f"f{i}@book{i % 40}.example" for i in range(10_000)]
    async with edge.client() as client:
        await _batch(client, [_track(f"bk{i}", e, "Form Submitted") for i, e in enumerate(emails)])
        await _batch(
            client,
            [
                _track(f"bk{i}", e, "Email Link Clicked", 1, campaign={"source": "newsletter"})
                for i, e in enumerate(emails[:7000])
            ],
        )
        for e in emails[7000:8000]:
            await _crm(client, e, "disqualified")
        today = datetime.now(UTC).date()
        window = {
            "from": (today - timedelta(days=1)).isoformat(),
            "to": (today + timedelta(days=1)).isoformat(),
        }

        async def settled() -> bool:
            funnel = (await client.get("/v1/funnel", params=window, headers=SECRET)).json()
            flows = {row["stage"]: row["flow"] for row in funnel["stages"]}
            return flows["nurturing"] + flows["dead_end"] == 8000

        await wait_for(settled, within=90, what="18,000 events scored")
        funnel = (
            await client.get("/v1/funnel", params=window | {"by": "channel"}, headers=SECRET)
        ).json()
    rows = {row["stage"]: row for row in funnel["stages"]}
    assert (rows["lead"]["flow"], rows["nurturing"]["flow"], rows["dead_end"]["flow"]) == (
        10_000,
        7_000,
        1_000,
    )
    assert rows["lead"]["balance"] == 2_000
    rates = {(c["from"], c["to"]): c["rate"] for c in funnel["conversions"]}
    assert rates[("lead", "nurturing")] == 0.7
    assert rates[("lead", "dead_end")] == 0.1
    newsletter = next(b for b in funnel["breakdown"] if b["key"] == "newsletter")
    assert {s["stage"]: s["flow"] for s in newsletter["stages"]}["nurturing"] == 7_000
