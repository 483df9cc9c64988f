"""Benchmark the scorer against a bare consumer on the same broker and Valkey, in one run.

    python bench/scorer.py [--leads 3000] [--events-per-lead 10]

Starts its own Tansu broker and Valkey, writes the same realistic journeys (anonymous pages,
identify, email clicks, downloads, demo requests, CRM outcomes), interleaved in event-time
order as live traffic arrives, to two topics, then measures
events/s from partition assignment until every event is applied, for:
- scorer: the real consumer loop (decode, identity, rules, stages, funnel, one apply.lua
  call per run of up to 100 messages with their effects coalesced per key, outbox
  publish, offset commit);
- bare: a consumer running a minimal Lua update per event (HINCRBY + offset SET), pipelined
  per batch, committing per batch.
The bare consumer runs three times (twice before the scorer, once after) and counts by its
median. Then prints the ratio, and the Redis bytes of one lead with 50 events (MEMORY USAGE summed
over its keys, plus its share of the partition hashes and list index sets it appears in).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer  # noqa: E402

from leadpulse.dev.embedded import EmbeddedBroker, EmbeddedValkey  # noqa: E402
from leadpulse.kernel.config import load_config  # noqa: E402
from leadpulse.kernel.kafka import ensure_topics, producer_options  # noqa: E402
from leadpulse.kernel.schema import EventEnvelope, encode  # noqa: E402
from leadpulse.kernel.settings import Settings  # noqa: E402
from scorer.core.config import Rules  # noqa: E402
from scorer.core.state import LeadState  # noqa: E402
from scorer.handlers.dispatch import apply_message  # noqa: E402
from scorer.handlers.summary import flush_leads  # noqa: E402
from scorer.runtime.batch import RUN_MAX  # noqa: E402
from scorer.runtime.consumer import ScorerLoop, decode_message  # noqa: E402
from scorer.runtime.outbox import Outbox  # noqa: E402
from scorer.runtime.service import consumer_options, open_redis, settle_heap  # noqa: E402
from scorer.storage.effects import apply_effects  # noqa: E402
from scorer.storage.keys import PartitionKeys  # noqa: E402
from scorer.storage.list_index import parse_slot  # noqa: E402
from scorer.storage.view import PartitionView  # noqa: E402
from scorer.storage.writes import WriteSet  # noqa: E402

BARE_LUA = """
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('SET', KEYS[2], ARGV[2])
return 1
"""
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
PAGES = ["/demo/blog/a", "/demo/pricing", "/demo/compare/x", "/demo/guides/rfp", "/demo/product"]
TRACKS = ["Email Opened", "Email Link Clicked", "Content Downloaded", "Webinar Attended"]


def _event(kind: str, when: datetime, **fields: Any) -> EventEnvelope:
    ident = {k: fields.pop(k) for k in ("anonymous_id", "email") if k in fields}
    return EventEnvelope.model_validate(
        {
            "event_id": uuid.uuid4().hex,
            "type": kind,
            "source": "segment",
            "identity": ident,
            "timestamp": when,
            "received_at": when,
            **fields,
        }
    )


def journey(n: int, events: int, rng: random.Random) -> list[EventEnvelope]:
    anon, email = f"anon-{n}", f"buyer{n}@company{n % 300}.example"
    when = T0 + timedelta(minutes=n)
    out: list[EventEnvelope] = []
    for i in range(events):
        when += timedelta(hours=rng.randint(1, 40))
        if i < 3:
            path = rng.choice(PAGES)
            out.append(_event("page", when, anonymous_id=anon, context={"path": path}))
        elif i == 3:
            out.append(
                _event(
                    "identify",
                    when,
                    anonymous_id=anon,
                    email=email,
                    traits={"title": "Director of IT", "company_size": 400},
                )
            )
        elif rng.random() < 0.05:
            out.append(_event("track", when, email=email, event="Demo Requested"))
        elif rng.random() < 0.5:
            out.append(_event("page", when, email=email, context={"path": rng.choice(PAGES)}))
        else:
            out.append(_event("track", when, email=email, event=rng.choice(TRACKS)))
    return out


async def produce(settings: Settings, topic: str, events: list[EventEnvelope]) -> None:
    producer = AIOKafkaProducer(**producer_options(settings))
    await producer.start()
    try:
        futures = [await producer.send(topic, encode(e), key=e.key.encode()) for e in events]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def _stored_total(redis: Any, partitions: int, prefix: str = "") -> int:
    total = 0
    for p in range(partitions):
        raw = await redis.get(prefix + PartitionKeys(p).offset)
        total += int(raw) + 1 if raw is not None else 0
    return total


async def _drain(loop: ScorerLoop, redis: Any, settings: Settings, expected: int) -> float:
    """Step until every event and every claim/merge it caused is applied; return the end."""
    last = time.perf_counter()
    idle = 0
    while idle < 3 or await _stored_total(redis, settings.kafka_partitions) < expected:
        if await loop.step(timeout_ms=100):
            last, idle = time.perf_counter(), 0
        else:
            idle += 1
    return last


async def run_scorer(settings: Settings, expected: int) -> tuple[float, int]:
    """(seconds to apply `expected` events, Redis bytes of one lead with 50 events)."""
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
        Rules.from_config(config.scoring, predict=config.predict),
        sla_tick_seconds=0,
    )
    consumer.subscribe([settings.topics.events], listener=loop.listener)
    await consumer.start()
    settle_heap()  # as scorer.runtime.service.run does once started
    try:
        while not loop.partitions:
            await loop.step(timeout_ms=100)
        start = time.perf_counter()
        # Claims and merges the scorer writes to its own topic are part of the work.
        elapsed = await _drain(loop, redis, settings, expected) - start
        lead = journey(999_999, 50, random.Random(7))
        await produce(settings, settings.topics.events, lead)
        total = await _stored_total(redis, settings.kafka_partitions)
        await _drain(loop, redis, settings, total + len(lead))
        return elapsed, await bytes_of_lead(redis, "email:buyer999999@company99.example")
    finally:
        await consumer.stop()
        await producer.stop()
        await redis.aclose()


async def run_bare(settings: Settings, topic: str, expected: int) -> float:
    from redis.asyncio import Redis

    redis = Redis.from_url(settings.redis_url or "")
    sha = await redis.script_load(BARE_LUA)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=f"bare-{uuid.uuid4().hex}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    settle_heap()  # the same for the bare consumer: the bench's event list is not its heap
    done = 0
    try:
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=100)
        await consumer.seek_to_beginning()
        start = time.perf_counter()
        while done < expected:
            records = await consumer.getmany(timeout_ms=100, max_records=1000)
            pipe = redis.pipeline(transaction=False)
            for tp, items in records.items():
                tag = f"bare:{{p{tp.partition}}}:"
                for r in items:
                    pipe.evalsha(sha, 2, tag + "counts", tag + "offset", r.key or b"", r.offset)
                done += len(items)
            await pipe.execute()
            if records:
                await consumer.commit()
        return time.perf_counter() - start
    finally:
        await consumer.stop()
        await redis.aclose()


def logic_only(events: list[EventEnvelope], partitions: int) -> float:
    """Seconds the scorer's own Python work takes with no I/O at all: decode, identity,
    rules, stages, funnel, the coalesced ops and their script arguments, in runs of
    RUN_MAX per partition. No design of the I/O can make the scorer faster than this."""
    rules = Rules.from_config(load_config().scoring)
    by_partition: dict[int, list[tuple[bytes, bytes]]] = {p: [] for p in range(partitions)}
    for e in events:
        by_partition[hash(e.key) % partitions].append((e.key.encode(), encode(e)))
    settle_heap()
    start = time.perf_counter()
    for partition, records in by_partition.items():
        view = PartitionView(PartitionKeys(partition), -1)
        for first in range(0, len(records), RUN_MAX):
            ws = WriteSet(view.pk)
            for offset, (key, value) in enumerate(records[first : first + RUN_MAX], first):
                name, event = decode_message(key, value)
                apply_message(view, rules, name, offset, event, ws)
            apply_effects(flush_leads(view.dirty.values(), rules), view, ws)
            ws.script_args(first - 1, rules.dedupe_window)
            view.outbound.clear()
    return time.perf_counter() - start


async def bytes_of_lead(redis: Any, identity: str) -> int:
    """MEMORY USAGE over the lead's keys, plus its entries in the partition hashes."""
    for p in range(64):
        pk = PartitionKeys(p)
        lead_id = await redis.hget(pk.identities, identity)
        if lead_id is None:
            continue
        lead_id = lead_id.decode()
        total = 0
        for key in (pk.lead(lead_id), pk.timeline(lead_id), pk.score_history(lead_id)):
            total += int(await redis.memory_usage(key, samples=0) or 0)
        summary = await redis.hget(pk.index, lead_id) or b""
        # index + account hash entries, and two identity map entries
        total += 2 * (len(summary) + len(lead_id)) + 2 * (len(identity) + len(lead_id))
        # its share of the three sorted sets the leads list reads it from
        state = LeadState.loads(await redis.get(pk.lead(lead_id)))
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


async def main(leads: int, per_lead: int) -> None:
    rng = random.Random(42)
    # In event-time order, as traffic arrives: many people's journeys interleaved.
    events = sorted(
        (e for n in range(leads) for e in journey(n, per_lead, rng)), key=lambda e: e.timestamp
    )
    with tempfile.TemporaryDirectory() as tmp:
        broker, valkey = EmbeddedBroker(), EmbeddedValkey(Path(tmp) / "valkey")
        broker.start()
        valkey.start()
        try:
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                kafka_bootstrap=broker.bootstrap,
                redis_url=valkey.url,
                kafka_partitions=6,
                topic_events="bench.events",
                scorer_group=f"bench-{uuid.uuid4().hex}",
            )
            await ensure_topics(settings)
            bare_settings = settings.model_copy(update={"topic_events": "bench.bare"})
            await ensure_topics(bare_settings)
            await produce(settings, "bench.events", events)
            await produce(settings, "bench.bare", events)
            # The bare run lasts about a second, so one hiccup swings it: three runs around
            # the scorer's, and their median.
            bares = [await run_bare(settings, "bench.bare", len(events)) for _ in range(2)]
            full, per_lead_bytes = await run_scorer(settings, len(events))
            bares.append(await run_bare(settings, "bench.bare", len(events)))
            bare_rates = sorted(len(events) / seconds for seconds in bares)
            bare_rate, full_rate = bare_rates[1], len(events) / full
            logic = logic_only(events, settings.kafka_partitions)
        finally:
            valkey.stop()
            broker.stop()
    print(f"events: {len(events):,} ({leads:,} leads x {per_lead})")
    runs = ", ".join(f"{rate:,.0f}" for rate in bare_rates)
    print(f"bare consumer + minimal Lua: {bare_rate:,.0f} events/s (median of {runs})")
    print(f"full scorer:                 {full_rate:,.0f} events/s")
    print(f"ratio scorer/bare:           {full_rate / bare_rate:.2f}")
    per_event = 1e6 / len(events)
    print(
        f"per event: bare {1e6 / bare_rate:.1f} us, scorer"
        f" {per_event * full:.1f} us, of which its Python logic alone (no I/O)"
        f" {per_event * logic:.1f} us: ceiling ratio {len(events) / logic / bare_rate:.2f}"
    )
    print(f"Redis bytes for a lead with 50 events: {per_lead_bytes:,}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=3000)
    parser.add_argument("--events-per-lead", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(main(args.leads, args.events_per_lead))
