"""Benchmark the leads list (`GET /v1/leads`) against a full scan of every summary, in one run.

    python bench/leads_list.py [--leads 20000]

Starts its own Valkey, scores `--leads` people through the scorer's apply path (pages,
identify with traits, demo requests, CRM outcomes: varied stages, fits, considerations and
times), then for each query times the first page read from the list index
(`scorer.read.store.list_leads`) and the bare baseline: HGETALL of every partition's summaries,
decayed, filtered and sorted in Python (what the list did before its index). Each figure is
the median of 5 runs; both must return the same page and total, or the bench fails.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
import zlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from leadpulse.dev.embedded import EmbeddedValkey  # noqa: E402
from leadpulse.kernel.config import load_config  # noqa: E402
from leadpulse.kernel.schema import EventEnvelope, encode  # noqa: E402
from leadpulse.kernel.valkey import valkey_at  # noqa: E402
from leadpulse.kernel.wire import read_envelope  # noqa: E402
from scorer.core.config import Rules  # noqa: E402
from scorer.read import store  # noqa: E402
from scorer.read.list_page import sort_rows  # noqa: E402
from scorer.read.list_walk import index_rows  # noqa: E402
from scorer.runtime.batch import Message, apply_batch  # noqa: E402
from scorer.storage.keys import META, PartitionKeys  # noqa: E402
from scorer.storage.scripts import Scripts  # noqa: E402

PARTITIONS = 12
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PATHS = [
    "/demo/blog/a",
    "/demo/pricing",
    "/demo/compare/x",
    "/demo/case-studies/a",
    "/demo/product",
]
TITLES = ["VP Sales", "Marketing Manager", "Engineer", "Head of IT", "Student"]
QUERIES: list[dict[str, Any]] = [
    {"sort": "score"},
    {"sort": "recent"},
    {"sort": "created"},
    {"stage": "mql", "sort": "score"},
    {"min_score": 60, "sort": "score"},
    {"consideration": "late", "sort": "recent"},
    {"sort": "score", "offset": 1000},
]


def _event(kind: str, when: datetime, email: str, **fields: Any) -> EventEnvelope:
    return EventEnvelope.model_validate(
        {
            "event_id": uuid.uuid4().hex,
            "type": kind,
            "source": "crm" if kind == "crm" else "segment",
            "identity": {"email": email},
            "timestamp": when,
            "received_at": when,
            **fields,
        }
    )


def person(n: int, rng: random.Random) -> list[EventEnvelope]:
    email = f"p{n}@company{n % 900}.example"
    when = T0 - timedelta(days=rng.uniform(0, 150), seconds=n)
    traits = {"title": rng.choice(TITLES), "company_size": rng.choice([10, 200, 9000])}
    out = [_event("identify", when, email, traits=traits)]
    for k in range(rng.randrange(1, 6)):
        path = rng.choice(PATHS)
        out.append(_event("page", when + timedelta(hours=k + 1), email, context={"path": path}))
    roll = rng.random()
    later = when + timedelta(days=rng.uniform(0, 20))
    if roll < 0.15:
        out.append(_event("track", later, email, event="Demo Requested"))
    elif roll < 0.3:
        outcome = rng.choice(["qualified", "won", "lost", "disqualified", "accepted"])
        out.append(_event("crm", later, email, event=outcome))
    return out


async def score_people(redis: Any, leads: int) -> None:
    """Apply every person's events through the scorer's apply path, 500 people at a time."""
    rules = Rules.from_config(load_config().scoring)
    scripts = Scripts()
    await scripts.load(redis)
    await redis.hset(META, mapping={"partitions": PARTITIONS})
    rng = random.Random(11)
    offsets = dict.fromkeys(range(PARTITIONS), 0)
    for first in range(0, leads, 500):
        batches: dict[int, list[Message]] = {}
        for n in range(first, min(leads, first + 500)):
            for event in person(n, rng):
                partition = zlib.crc32(event.key.encode()) % PARTITIONS
                batches.setdefault(partition, []).append(
                    # as the scorer reads it off the topic
                    Message(offsets[partition], event.key, read_envelope(encode(event)))
                )
                offsets[partition] += 1
        results = await apply_batch(redis, scripts, rules, batches)
        if any(result.conflict for result in results.values()):
            raise RuntimeError("an apply conflicted: is another scorer writing to this Valkey?")
        print(f"\rscored {min(leads, first + 500):,} of {leads:,} people", end="", flush=True)
    print()


async def full_scan(redis: Any, now: float, **query: Any) -> dict[str, Any]:
    """The baseline: every summary read, decayed, filtered and sorted."""
    pipe = redis.pipeline(transaction=False)
    for p in range(PARTITIONS):
        pipe.hgetall(PartitionKeys(p).index)
    rows = [row for shard in await pipe.execute() for row in index_rows(shard, now)]
    for name in ("stage", "consideration"):
        if query.get(name) is not None:
            rows = [r for r in rows if r[name] == query[name]]
    if query.get("min_score") is not None:
        rows = [r for r in rows if r["score"] >= query["min_score"]]
    sort_rows(rows, query.get("sort", "score"))
    offset, limit = query.get("offset", 0), query.get("limit", 50)
    return {"leads": rows[offset : offset + limit], "total": len(rows)}


async def timed(read: Callable[[], Awaitable[dict[str, Any]]]) -> tuple[float, dict[str, Any]]:
    """(median milliseconds of 5 runs, the last result)."""
    times: list[float] = []
    result: dict[str, Any] = {}
    for _ in range(5):
        start = time.perf_counter()
        result = await read()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


async def main(leads: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        valkey = EmbeddedValkey(Path(tmp) / "valkey")
        valkey.start()
        try:
            redis = valkey_at(valkey.url, cluster=False)
            await score_people(redis, leads)
            now = T0.timestamp()
            print(f"{'query':<40} {'full scan':>10} {'index':>8} {'ratio':>6}  total")
            for query in QUERIES:

                async def indexed(q: dict[str, Any] = query) -> dict[str, Any]:
                    return await store.list_leads(redis, now=now, **q)

                async def scanned(q: dict[str, Any] = query) -> dict[str, Any]:
                    return await full_scan(redis, now, **q)

                base_ms, expected = await timed(scanned)
                ours_ms, got = await timed(indexed)
                if (got["leads"], got["total"]) != (expected["leads"], expected["total"]):
                    raise RuntimeError(f"the index and the full scan disagree on {query}")
                name = " ".join(f"{k}={v}" for k, v in query.items())
                print(
                    f"{name:<40} {base_ms:>8.1f}ms {ours_ms:>6.1f}ms {ours_ms / base_ms:>6.3f}"
                    f"  {got['total']:,}"
                )
            await redis.aclose()
        finally:
            valkey.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=20_000)
    asyncio.run(main(parser.parse_args().leads))
