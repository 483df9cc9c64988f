"""CRM outcomes through the public API: dated in the past, or repeated."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from leadpulse.dev.journeys import CHROME_UA
from scorer.read import store
from tests.integration.scorer.conftest import SECRET, WRITE, Edge, ScorerStarter, wait_for


async def _history(redis: Any, email: str, stages: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    async def ready() -> bool:
        lead = await store.get_lead(redis, email)
        if lead is None or len(lead["timeline"]) < stages:
            return False
        found[:] = lead["stage_history"]
        return True

    await wait_for(ready, what=f"{stages} events on the lead")
    return found


async def test_a_backdated_outcome_and_a_second_lost_keep_history_and_funnel_true(
    edge: Edge, start_scorer: ScorerStarter, redis: Any
) -> None:
    """accepted dated 100 days back, then lost twice: the history stays in time order, the
    outcome keeps its date, and the lead entered recycle once."""
    await start_scorer()
    email = "late.crm@initech.example"
    now = datetime.now(UTC)
    identify = {
        "anonymousId": "crm-order-1",
        "traits": {"email": email},
        "timestamp": (now - timedelta(hours=2)).isoformat(),
        "context": {"userAgent": CHROME_UA},
    }
    async with edge.client() as client:
        assert (await client.post("/v1/identify", json=identify, auth=WRITE)).status_code == 200
        await _history(redis, email, 1)
        for outcome, when in (
            ("accepted", now - timedelta(days=100)),
            ("lost", now - timedelta(hours=1)),
            ("lost", now - timedelta(minutes=30)),
        ):
            body = {
                "event_id": uuid.uuid4().hex,
                "type": outcome,
                "email": email,
                "occurred_at": when.isoformat(),
            }
            response = await client.post("/v1/crm/events", json=body, headers=SECRET)
            assert response.status_code in (200, 202), response.text
    history = await _history(redis, email, 4)
    assert [h["stage"] for h in history] == ["lead", "sal", "recycle"]
    times = [datetime.fromisoformat(h["at"]) for h in history]
    assert times == sorted(times)
    reported = datetime.fromisoformat(history[1]["reported_at"])
    assert abs(reported - (now - timedelta(days=100))) < timedelta(seconds=1)
    funnel = await store.get_funnel(redis, start=(now - timedelta(days=1)).date(), end=now.date())
    flow = {s["stage"]: s["flow"] for s in funnel["stages"]}
    assert flow["recycle"] == 1
