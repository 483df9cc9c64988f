"""Training examples of merged leads on the real broker and Valkey: one per decision."""

from __future__ import annotations

from typing import Any

import pytest

from leadpulse.kernel.schema import lead_id_for
from leadpulse.kernel.settings import Settings
from scorer.core.conversion.examples import canonical
from scorer.predict.trainer import read_examples
from scorer.read import store
from scorer.storage.keys import PartitionKeys
from tests.integration.scorer.conftest import ScorerStarter, wait_for
from tests.unit.scorer.events import at, crm, identify, page, track

PARTITIONS = 3
TRAITS = {"title": "VP Marketing", "company_size": 450, "industry": "software"}


@pytest.mark.parametrize("redis_target", ["single"], indirect=True)
async def test_a_decision_closed_by_its_horizon_stays_closed_through_a_merge(
    scorer_settings: Settings, produce: Any, start_scorer: ScorerStarter, redis: Any
) -> None:
    """ann@ requests a demo on day 0 and is quiet past its 90-day horizon: one negative
    example. On day 101 she turns out to be user u-1, a lead of its own, which survives the
    merge; her win on day 102 comes after the horizon. The trainer has one example of that
    decision, the horizon's."""
    email = "ann@merged.example"
    await start_scorer()
    await produce(
        track("Demo Requested", email=email, traits=TRAITS, when=at(days=0), event_id="m-demo"),
        page("/demo/blog/a", user="u-1", when=at(days=0.5), event_id="m-u1"),
        page("/demo/blog/b", email=email, when=at(days=100), event_id="m-quiet"),
    )

    async def closed() -> bool:
        return any(e.outcome == "no_outcome" for e in await read_examples(scorer_settings))

    await wait_for(closed, what="the horizon's example")
    await produce(identify(user="u-1", email=email, when=at(days=101), event_id="m-id"))
    survivor = lead_id_for("user:u-1")

    async def applied(event_id: str) -> bool:
        lead = await store.get_lead(redis, survivor)
        return lead is not None and any(e["id"] == event_id for e in lead["timeline"])

    await wait_for(lambda: applied("m-demo"), what="ann merged into u-1")
    await produce(crm("won", user="u-1", when=at(days=102), event_id="m-won"))
    await wait_for(lambda: applied("m-won"), what="the win applied to u-1")

    async def published() -> bool:
        pending = [await redis.hlen(PartitionKeys(p).outbox) for p in range(PARTITIONS)]
        return not any(pending)

    await wait_for(published, what="the scorer's outboxes published")
    examples = canonical(await read_examples(scorer_settings))
    assert [(e.outcome, e.label, e.snapshot.at) for e in examples] == [
        ("no_outcome", 0, at(days=0).timestamp())
    ]
