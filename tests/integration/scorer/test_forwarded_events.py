"""Events sent to an identity merged into another reach the survivor's lead, once.

The identity keys of each case are picked for their partition (3 partitions, murmur2 of
the key): `email:ann@merged.example` and `user:u-1` both live on partition 0, so the
forwarded copy of an event comes back to the partition that forwarded it;
`email:bob@merged.example` (2) and `user:u-2` (1) live apart.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ingest.publisher import _partition_for
from leadpulse.dev.journeys import CHROME_UA
from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.settings import Settings
from scorer import rescore
from scorer.read import store
from tests.integration.scorer.conftest import SECRET, WRITE, Edge, ScorerStarter, wait_for

CASES = {
    "same-partition": ("ann@merged.example", "u-1", "anon-ann"),
    "cross-partition": ("bob@merged.example", "u-2", "anon-bob"),
}


def _partition(key: str) -> int:
    return _partition_for(key.encode(), 3)


def test_the_cases_land_where_they_say() -> None:
    email, user, _ = CASES["same-partition"]
    assert _partition(f"email:{email}") == _partition(f"user:{user}")
    email, user, _ = CASES["cross-partition"]
    assert _partition(f"email:{email}") != _partition(f"user:{user}")


async def _lead_with(redis: Any, ref: str, timeline: int) -> dict[str, Any]:
    found: dict[str, Any] = {}

    async def ready() -> bool:
        lead = await store.get_lead(redis, ref)
        if lead is None or len(lead["timeline"]) < timeline:
            return False
        found.update(lead)
        return True

    await wait_for(ready, what=f"{timeline} events on the lead of {ref}")
    return found


@pytest.mark.parametrize("case", sorted(CASES))
async def test_a_crm_outcome_sent_by_a_merged_email_reaches_the_user_lead(
    case: str,
    edge: Edge,
    start_scorer: ScorerStarter,
    scorer_settings: Settings,
    config: LeadPulseConfig,
    redis: Any,
) -> None:
    """A signed-in user, an anonymous visitor who gives their email, then a sign-in naming
    both: the email's lead merges into the user's. A `won` sent by email moves the user's
    lead to customer and shows on its timeline, live and rebuilt by `rescore`."""
    email, user, anon = CASES[case]
    halt = await start_scorer()
    now = datetime.now(UTC)

    def at(minutes: int) -> str:
        return (now - timedelta(minutes=minutes)).isoformat()

    signed_in = {"userId": user, "traits": {"plan": "trial"}, "timestamp": at(30)}
    visitor = {"anonymousId": anon, "traits": {"email": email}, "timestamp": at(20)}
    both = {"userId": user, "traits": {"email": email}, "timestamp": at(10)}
    won_id = uuid.uuid4().hex
    won = {"event_id": won_id, "type": "won", "email": email, "occurred_at": at(1)}
    async with edge.client() as client:
        for body in (signed_in, visitor, both):
            body["context"] = {"userAgent": CHROME_UA}
            response = await client.post("/v1/identify", json=body, auth=WRITE)
            assert response.status_code == 200, response.text
            await _lead_with(redis, f"user:{user}" if "userId" in body else email, 1)
        # The email's lead (its identify) joined the user's (two identifies).
        merged = await _lead_with(redis, f"user:{user}", 3)
        assert merged["email"] == email
        response = await client.post("/v1/crm/events", json=won, headers=SECRET)
        assert response.status_code in (200, 202), response.text
    lead = await _lead_with(redis, f"user:{user}", 4)
    assert lead["lead_id"] == merged["lead_id"]
    assert lead["stage"] == "customer"
    assert [e["id"] for e in lead["timeline"]].count(won_id) == 1
    assert (await store.get_lead(redis, email) or {}).get("lead_id") == merged["lead_id"]
    await halt()
    await rescore(scorer_settings, config)
    rebuilt = await _lead_with(redis, f"user:{user}", 4)
    assert rebuilt["stage"] == "customer"
    assert [e["id"] for e in rebuilt["timeline"]].count(won_id) == 1
