"""Valkey forgets the Lua scripts (SCRIPT FLUSH, as a restart does): scoring goes on."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import REGISTRY

from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.settings import Settings
from scorer.core.config import Rules
from scorer.read import store
from scorer.runtime.sla import fire_due_timers
from scorer.storage.keys import PartitionKeys
from scorer.storage.scripts import Scripts
from tests.integration.scorer.conftest import ScorerStarter, wait_for
from tests.unit.scorer.events import at, page, track


async def applied(redis: Any, partitions: int) -> int:
    """Event ids applied, over every partition's dedupe set."""
    return sum([await redis.zcard(PartitionKeys(p).seen) for p in range(partitions)])


def conflicts() -> float:
    return REGISTRY.get_sample_value("leadpulse_scorer_offset_conflicts_total") or 0.0


async def test_events_sent_after_a_script_flush_are_applied(
    scorer_settings: Settings, produce: Any, start_scorer: ScorerStarter, redis: Any
) -> None:
    """Single node and cluster: after SCRIPT FLUSH every new event is applied, no conflict."""
    partitions = scorer_settings.kafka_partitions
    await start_scorer()
    await produce(*[page(f"/demo/blog/{i}", anon=f"before{i}", when=at(i)) for i in range(6)])
    await wait_for(lambda: _applied_is(redis, partitions, 6), what="6 events applied")
    before = conflicts()
    await redis.script_flush()  # every primary of a cluster
    await produce(*[page(f"/demo/blog/{i}", anon=f"after{i}", when=at(i)) for i in range(6)])
    await wait_for(lambda: _applied_is(redis, partitions, 12), what="12 events applied")
    leads = await store.list_leads(redis, limit=50)
    assert leads["total"] == 12
    assert conflicts() == before


async def _applied_is(redis: Any, partitions: int, count: int) -> bool:
    return await applied(redis, partitions) == count


async def test_the_sla_tick_fires_after_a_script_flush(
    scorer_settings: Settings,
    produce: Any,
    start_scorer: ScorerStarter,
    redis: Any,
    config: LeadPulseConfig,
) -> None:
    """A due SLA timer still fires into an alert once the server forgot sla_fire.lua."""
    email = "sla@flush.example"
    halt = await start_scorer()
    await produce(
        page("/demo/pricing", email=email, when=at(0), traits={"title": "Head of IT"}),
        track("Demo Requested", email=email, when=at(1)),
    )

    async def mql() -> bool:
        lead = await store.get_lead(redis, email)
        return lead is not None and lead["stage"] == "mql"

    await wait_for(mql, what="the lead to reach mql")
    await halt()
    lead = await store.get_lead(redis, email)
    assert lead is not None
    lead_id = lead["lead_id"]
    held = [
        p
        for p in range(scorer_settings.kafka_partitions)
        if await redis.exists(PartitionKeys(p).lead(lead_id))
    ]
    partition = held[0]
    pk = PartitionKeys(partition)
    member = f"{lead_id}|mql|{at(1).timestamp():.0f}"
    await redis.zadd(pk.sla, {member: at(2).timestamp()})
    await redis.script_flush()
    fired = await fire_due_timers(
        redis, Scripts(), Rules.from_config(config.scoring), partition, time.time()
    )
    assert [m.topic for m in fired][:1] == ["alerts"]
    assert await redis.zscore(pk.sla, member) is None
    assert await redis.hexists(pk.outbox, fired[0].msg_id)
