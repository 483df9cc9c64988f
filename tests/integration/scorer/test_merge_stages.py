"""Stages across identity merges on the real broker and Valkey: live equals rescore."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from leadpulse.dev.journeys import CHROME_UA, make_journeys
from leadpulse.dev.simulate import send_steps
from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.settings import Settings
from scorer import rescore
from scorer.read import store
from tests.conftest import SECRET_KEY, WRITE_KEY
from tests.integration.scorer.conftest import Edge, ScorerStarter, read_alerts, wait_for

NOW = datetime.now(UTC).replace(microsecond=0)


def _segment(kind: str, anon: str, when: datetime, **fields: Any) -> dict[str, Any]:
    url = "https://www.leadpulse-demo.example/demo/demo"
    return {
        "type": kind,
        "anonymousId": anon,
        "messageId": str(uuid.uuid4()),
        "timestamp": when.isoformat(),
        "context": {"userAgent": CHROME_UA, "page": {"url": url, "path": "/demo/demo"}},
        **fields,
    }


async def test_one_beacon_with_identify_form_and_demo_makes_a_new_visitor_an_mql(
    edge: Edge, start_scorer: ScorerStarter, scorer_settings: Settings, redis: Any
) -> None:
    """What /lp.js sends from the demo form: the newcomer is an mql for the demo request."""
    await start_scorer()
    email = "newcomer@initech.example"
    when = NOW - timedelta(minutes=5)
    batch = [
        _segment("page", "lp-1", when - timedelta(seconds=30), properties={"path": "/demo/demo"}),
        _segment("identify", "lp-1", when, traits={"email": email, "title": "Analyst"}),
        _segment("track", "lp-1", when, event="Form Submitted", properties={"form": "demo"}),
        _segment("track", "lp-1", when, event="Demo Requested", properties={"form": "demo"}),
    ]
    async with edge.client() as client:
        response = await client.post("/v1/batch", json={"batch": batch}, auth=(WRITE_KEY, ""))
        assert response.status_code == 200 and response.json()["rejected"] == []

    async def merged() -> bool:
        lead = await store.get_lead(redis, email)
        return lead is not None and len(lead["timeline"]) == 4

    await wait_for(merged, what="the visitor merged into the lead")
    lead = await store.get_lead(redis, email)
    assert lead is not None and lead["stage"] == "mql"
    assert lead["stage_history"][-1]["reason"] == "fast_pass"
    alerts = [a for a in await read_alerts(scorer_settings, expect=1) if a.type == "mql"]
    assert len(alerts) == 1
    assert alerts[0].reason == "fast_pass" and alerts[0].lead.email == email


async def _timeline_is(redis: Any, email: str, count: int) -> bool:
    lead = await store.get_lead(redis, email)
    return lead is not None and len(lead["timeline"]) == count


async def _leads(redis: Any, emails: list[str]) -> dict[str, Any]:
    out = {}
    for email in emails:
        lead = await store.get_lead(redis, email)
        assert lead is not None, email
        out[email] = {
            "stage": lead["stage"],
            "history": lead["stage_history"],
            "score": round(lead["score"]["total"], 3),
            "timeline": sorted(e["id"] for e in lead["timeline"]),
            "alerts": sorted(a["alert_id"] for a in lead["alerts"] if a["type"] == "mql"),
        }
    return out


async def _funnel(redis: Any) -> dict[str, Any]:
    start = (NOW - timedelta(days=40)).date()
    funnel = await store.get_funnel(redis, start=start, end=NOW.date(), by="campaign")
    return {k: funnel[k] for k in ("stages", "conversions", "recycled", "breakdown")}


async def test_rescore_rebuilds_the_live_stages_funnel_and_alerts_of_merged_journeys(
    edge: Edge,
    start_scorer: ScorerStarter,
    scorer_settings: Settings,
    config: LeadPulseConfig,
    redis: Any,
) -> None:
    """Journeys with anonymous history sent live, then `rescore`: every lead and the funnel
    are the same, whenever each merge came back."""
    steps = make_journeys(120, seed=11, now=NOW)
    emails = sorted({s.body["traits"]["email"] for s in steps if s.body.get("type") == "identify"})
    expected = {email: 0 for email in emails}
    owner: dict[str, str] = {}
    for s in steps:
        if s.body.get("type") == "identify":
            owner[s.body["anonymousId"]] = s.body["traits"]["email"]
    for s in steps:
        email = s.body.get("email") or owner.get(s.body.get("anonymousId", ""))
        if email:
            expected[email] += 1
    halt = await start_scorer()
    sent: dict[str, int] = dict.fromkeys(emails, 0)
    async with httpx.AsyncClient(base_url=edge.base, timeout=30) as client:
        start = 0
        for n, s in enumerate(steps):
            email = s.body.get("email") or owner.get(s.body.get("anonymousId", ""))
            if email:
                sent[email] += 1
            if s.body.get("type") != "identify" or n % 2:
                continue
            # Half the merges come back before the lead's next event, as they do live.
            await send_steps(
                client, steps[start : n + 1], write_key=WRITE_KEY, secret_key=SECRET_KEY
            )
            start = n + 1
            await wait_for(
                lambda email=s.body["traits"]["email"]: _timeline_is(redis, email, sent[email]),
                what="the merge",
            )
        await send_steps(client, steps[start:], write_key=WRITE_KEY, secret_key=SECRET_KEY)

    async def settled() -> bool:
        for email, count in expected.items():
            lead = await store.get_lead(redis, email)
            if lead is None or len(lead["timeline"]) != count:
                return False
        return True

    await wait_for(settled, within=90, what="every journey applied and merged")
    live = (await _leads(redis, emails), await _funnel(redis))
    assert any(h["stage"] == "mql" for lead in live[0].values() for h in lead["history"])
    await halt()
    await rescore(scorer_settings, config)
    rebuilt = (await _leads(redis, emails), await _funnel(redis))
    scores = [(live[0][e].pop("score"), rebuilt[0][e].pop("score")) for e in emails]
    differ = [e for e in emails if live[0][e] != rebuilt[0][e]]
    assert differ == []
    assert live[1] == rebuilt[1]
    # Scores are decayed to the moment of reading and shown to 2 decimals: the two reads
    # are seconds apart.
    assert [a for a, _ in scores] == pytest.approx([b for _, b in scores], abs=0.011)
