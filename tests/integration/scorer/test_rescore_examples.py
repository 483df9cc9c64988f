"""Training examples across identity merges: live equals rescore, and rescore adds none."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from leadpulse.dev.journeys import make_journeys
from leadpulse.dev.simulate import send_steps
from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.settings import Settings
from scorer import rescore
from scorer.core.conversion.examples import Example, canonical
from scorer.predict.trainer import read_examples
from scorer.read import store
from scorer.storage.keys import PartitionKeys
from tests.conftest import SECRET_KEY, WRITE_KEY
from tests.integration.scorer.conftest import Edge, ScorerStarter, wait_for

NOW = datetime.now(UTC).replace(microsecond=0)
JOURNEYS = 600
PARTITIONS = 3  # the tests' topics


def _per_lead(examples: list[Example]) -> dict[str, list[tuple[float, list[str], str]]]:
    """Each lead's examples as a user of the trainer sees them: decision time, features,
    outcome."""
    out: dict[str, list[tuple[float, list[str], str]]] = {}
    for e in canonical(examples):
        out.setdefault(e.lead_id, []).append((e.snapshot.at, e.snapshot.features, e.outcome))
    return {lead: sorted(found) for lead, found in out.items()}


def _differ(live: dict[str, Any], rebuilt: dict[str, Any]) -> tuple[int, int]:
    """(leads whose decision times differ, leads with the same times but other features)."""
    times = features = 0
    for lead in live.keys() | rebuilt.keys():
        a, b = live.get(lead, []), rebuilt.get(lead, [])
        if [x[0] for x in a] != [x[0] for x in b]:
            times += 1
        elif a != b:
            features += 1
    return times, features


@pytest.mark.parametrize("redis_target", ["single"], indirect=True)
async def test_rescore_publishes_the_live_examples_and_the_trainer_counts_each_once(
    edge: Edge,
    start_scorer: ScorerStarter,
    scorer_settings: Settings,
    config: LeadPulseConfig,
    redis: Any,
) -> None:
    """Journeys with deals sent live (merges coming back whenever they do), then `rescore`:
    each lead's examples have the same decision times and features, and the topic with
    both runs' examples trains on each decision once."""
    steps = make_journeys(JOURNEYS, seed=5, now=NOW)
    owner: dict[str, str] = {}
    for s in steps:
        if s.body.get("type") == "identify":
            owner[s.body["anonymousId"]] = s.body["traits"]["email"]
    expected: dict[str, int] = {}
    for s in steps:
        email = s.body.get("email") or owner.get(s.body.get("anonymousId", ""))
        if email:
            expected[email] = expected.get(email, 0) + 1
    halt = await start_scorer()
    async with httpx.AsyncClient(base_url=edge.base, timeout=30) as client:
        await send_steps(client, steps, write_key=WRITE_KEY, secret_key=SECRET_KEY)

    async def settled() -> bool:
        for email, count in expected.items():
            lead = await store.get_lead(redis, email)
            if lead is None or len(lead["timeline"]) != count:
                return False
        return True

    await wait_for(settled, within=120, what="every journey applied and merged")

    async def published() -> bool:
        pending = [await redis.hlen(PartitionKeys(p).outbox) for p in range(PARTITIONS)]
        return not any(pending)

    await wait_for(published, what="the scorer's outboxes published")
    await halt()
    published = await read_examples(scorer_settings)
    live = _per_lead(published)
    assert sum(map(len, live.values())) >= 50
    await rescore(scorer_settings, config)
    both = await read_examples(scorer_settings)
    rebuilt = _per_lead(both[len(published) :])
    print("differ (times, features):", _differ(live, rebuilt), "of", len(live | rebuilt))
    assert _differ(live, rebuilt) == (0, 0)
    assert _per_lead(both) == live
