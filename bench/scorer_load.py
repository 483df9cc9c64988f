"""What bench/scorer.py sends and how it sees progress: the journeys, producing them, the
stored offsets and outboxes in Valkey, and its progress lines."""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaProducer

from leadpulse.kernel.kafka import ensure_topics, producer_options
from leadpulse.kernel.schema import EventEnvelope, encode
from leadpulse.kernel.settings import Settings
from scorer.storage.keys import PartitionKeys

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
PAGES = ["/demo/blog/a", "/demo/pricing", "/demo/compare/x", "/demo/guides/rfp", "/demo/product"]
TRACKS = ["Email Opened", "Email Link Clicked", "Content Downloaded", "Webinar Attended"]
_STARTED = time.perf_counter()


def progress(line: str) -> None:
    """A progress line on stderr, with the seconds since the bench started and the load."""
    load = os.getloadavg()[0]
    elapsed = time.perf_counter() - _STARTED
    print(f"[{elapsed:6.1f}s load {load:4.1f}] {line}", file=sys.stderr, flush=True)


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
    """Three anonymous pages, an identify joining the browser to an email (the two keys
    usually live on two partitions: a claim and a merge), then email clicks, downloads,
    pages and the odd demo request under the email (account touches of its company)."""
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


def journeys(leads: int, per_lead: int, seed: int = 42) -> list[EventEnvelope]:
    """Many people's journeys interleaved in event-time order, as traffic arrives."""
    rng = random.Random(seed)
    return sorted(
        (e for n in range(leads) for e in journey(n, per_lead, rng)), key=lambda e: e.timestamp
    )


async def load_topics(bootstrap: str, redis_url: str, events: list[EventEnvelope]) -> Settings:
    """Settings for a bench broker and Valkey, with `events` on both its topics: the
    scorer's (`bench.events`) and the bare consumers' (`bench.bare`)."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        kafka_bootstrap=bootstrap,
        redis_url=redis_url,
        kafka_partitions=6,
        topic_events="bench.events",
        scorer_group=f"bench-{uuid.uuid4().hex}",
    )
    await ensure_topics(settings)
    await ensure_topics(settings.model_copy(update={"topic_events": "bench.bare"}))
    progress(f"producing {len(events):,} events to two topics")
    await produce(settings, "bench.events", events)
    await produce(settings, "bench.bare", events)
    return settings


async def produce(settings: Settings, topic: str, events: list[EventEnvelope]) -> None:
    producer = AIOKafkaProducer(**producer_options(settings))
    await producer.start()
    try:
        futures = [await producer.send(topic, encode(e), key=e.key.encode()) for e in events]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def stored_total(redis: Any, partitions: int) -> int:
    """Messages applied over all partitions, by the offsets stored with the state."""
    pipe = redis.pipeline(transaction=False)
    for p in range(partitions):
        pipe.get(PartitionKeys(p).offset)
    return sum(int(raw) + 1 for raw in await pipe.execute() if raw is not None)


async def outbox_total(redis: Any, partitions: int) -> int:
    """Messages the scorers wrote to their outboxes and have not yet published."""
    pipe = redis.pipeline(transaction=False)
    for p in range(partitions):
        pipe.hlen(PartitionKeys(p).outbox)
    return sum(int(n) for n in await pipe.execute())
