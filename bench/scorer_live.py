"""The real scorer in bench/scorer.py: its loop in this process, `leadpulse rescore` over the
same topic, and the Valkey bytes of one lead."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.scorer_load import journey, produce, progress, stored_total
from bench.scorer_logic import scorer_rules
from leadpulse.kernel.config import load_config
from leadpulse.kernel.kafka import producer_options
from leadpulse.kernel.settings import Settings
from scorer import rescore
from scorer.core.state_layout import load_lead
from scorer.runtime.consumer import ScorerLoop
from scorer.runtime.outbox import Outbox
from scorer.runtime.service import consumer_options, open_redis, settle_heap
from scorer.storage.keys import PartitionKeys
from scorer.storage.list_index import parse_slot


@dataclass(frozen=True)
class ScorerRun:
    seconds: float  # from assignment until every event and what it caused is applied
    messages: int  # events plus the scorer's own messages it applied
    lead_bytes: int  # Valkey bytes of one lead with 50 events
    valkey_cpu: float  # seconds of CPU Valkey used meanwhile (INFO cpu, user + system)


async def valkey_cpu(redis: Any) -> float:
    info = await redis.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


async def _drain(loop: ScorerLoop, redis: Any, settings: Settings, expected: int) -> float:
    """Step until every event and every claim/merge it caused is applied; return the end."""
    last = time.perf_counter()
    idle = 0
    reported = 0
    while idle < 3 or await stored_total(redis, settings.kafka_partitions) < expected:
        if await loop.step(timeout_ms=100):
            last, idle = time.perf_counter(), 0
            if loop.events_applied - reported >= 10_000:
                reported = loop.events_applied
                progress(f"scorer: {reported:,} events applied")
        else:
            idle += 1
    return last


async def run_scorer(settings: Settings, expected: int) -> ScorerRun:
    """The scorer's loop on `settings`' events topic, as `scorer.runtime.service` runs it
    (with no SLA tick); then one more lead with 50 events, whose bytes it measures."""
    config = load_config()
    redis, scripts = await open_redis(settings, config)
    producer = AIOKafkaProducer(**producer_options(settings))
    await producer.start()
    consumer = AIOKafkaConsumer(**consumer_options(settings))
    loop = ScorerLoop(
        consumer,
        redis,
        Outbox(redis, producer, settings.topics),
        scripts,
        scorer_rules(),
        sla_tick_seconds=0,
    )
    consumer.subscribe([settings.topics.events], listener=loop.listener)
    await consumer.start()
    settle_heap()  # as scorer.runtime.service.run does once started
    try:
        while not loop.partitions:
            await loop.step(timeout_ms=100)
        start, cpu_start = time.perf_counter(), await valkey_cpu(redis)
        # Claims and merges the scorer writes to its own topic are part of the work.
        elapsed = await _drain(loop, redis, settings, expected) - start
        cpu = await valkey_cpu(redis) - cpu_start
        messages = await stored_total(redis, settings.kafka_partitions)
        lead = journey(999_999, 50, random.Random(7))
        await produce(settings, settings.topics.events, lead)
        await _drain(loop, redis, settings, messages + len(lead))
        lead_bytes = await bytes_of_lead(redis, "email:buyer999999@company99.example")
        return ScorerRun(elapsed, messages, lead_bytes, cpu)
    finally:
        await consumer.stop()
        await producer.stop()
        await redis.aclose()


async def run_rescore(settings: Settings) -> tuple[float, int]:
    """(seconds, events applied) of `leadpulse rescore` over `settings`' events topic."""
    last = [0.0]

    def report(done: int, total: int) -> None:
        if time.perf_counter() - last[0] >= 5:
            last[0] = time.perf_counter()
            progress(f"rescore: {done:,} of {total:,} messages read")

    start = time.perf_counter()
    applied = await rescore(settings, load_config(), report)
    return time.perf_counter() - start, applied


async def bytes_of_lead(redis: Any, identity: str) -> int:
    """MEMORY USAGE over the lead's keys, plus its entries in the partition hashes."""
    for p in range(64):
        pk = PartitionKeys(p)
        lead_id = await redis.hget(pk.identities, identity)
        if lead_id is None:
            continue
        lead_id = lead_id.decode()
        total = 0
        keys = (pk.lead(lead_id), pk.past(lead_id), pk.timeline(lead_id), pk.score_history(lead_id))
        for key in keys:
            total += int(await redis.memory_usage(key, samples=0) or 0)
        summary = await redis.hget(pk.index, lead_id) or b""
        # the index entry, the account hash's ("1"), and two identity map entries
        total += len(summary) + 2 * len(lead_id) + 1 + 2 * (len(identity) + len(lead_id))
        # its share of the three sorted sets the leads list reads it from
        state = load_lead(*await redis.mget(pk.lead(lead_id), pk.past(lead_id)))
        stage, _, fit, half_life = parse_slot((state.listed or "").rpartition("|")[0])
        for key in (
            pk.listing_score(stage, fit, half_life),
            pk.listing(stage, "r"),
            pk.listing(stage, "c"),
        ):
            usage = int(await redis.memory_usage(key, samples=0) or 0)
            total += usage // max(1, int(await redis.zcard(key)))
        return total
    raise RuntimeError("the 50-event lead was not found")
