"""The leads list read from its index equals a full scan of every summary, whatever the query."""

from __future__ import annotations

import itertools
import random
import zlib
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from leadpulse.config import load_config
from leadpulse.schema import STAGES, EventEnvelope, Identity, decode
from scorer import store
from scorer.batch import Message, apply_batch
from scorer.context import Rules
from scorer.decay import DAY
from scorer.keys import META, PartitionKeys
from scorer.lead_index import parse_slot, slot
from scorer.lead_walk import summary_row
from scorer.scripts import Scripts, connect_redis
from tests.unit.scorer.events import crm, identify, page, track

RULES = Rules.from_config(load_config().scoring)
PARTITIONS = 4
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PATHS = ["/demo/blog/a", "/demo/pricing", "/demo/compare/x", "/demo/case-studies/a", "/careers"]
TITLES = ["VP Sales", "Marketing Manager", "Engineer", "Head of IT", None, "Student"]
DOMAINS = ["acme-industrial.example", "globex.example", "gmail.com", "corp.example"]


@pytest.fixture
async def redis(redis_target: tuple[str, bool]) -> AsyncIterator[Any]:
    url, cluster = redis_target
    client = connect_redis(url, cluster)
    await client.hset(META, mapping={"partitions": PARTITIONS})
    yield client
    await client.aclose()


class Scorer:
    """Feeds events through the scorer's real apply path, and its claims/merges back in."""

    def __init__(self, redis: Any, scripts: Scripts) -> None:
        self.redis = redis
        self.scripts = scripts
        self.offsets = dict.fromkeys(range(PARTITIONS), 0)
        self.controls: list[str] = []

    async def send(self, *events: EventEnvelope) -> None:
        pending = [(e.key, e) for e in events]
        while pending:
            batches: dict[int, list[Message]] = {}
            for key, event in pending:
                partition = zlib.crc32(key.encode()) % PARTITIONS
                batches.setdefault(partition, []).append(
                    Message(self.offsets[partition], key, event)
                )
                self.offsets[partition] += 1
            results = await apply_batch(self.redis, self.scripts, RULES, batches)
            pending = []
            for result in results.values():
                assert not result.conflict
                for out in result.outbound:
                    if out.topic == "events":
                        event = decode(EventEnvelope, out.value)
                        self.controls.append(event.type)
                        pending.append((out.key, event))


@pytest.fixture
async def scorer(redis: Any) -> Scorer:
    scripts = Scripts()
    await scripts.load(redis)
    return Scorer(redis, scripts)


def _forget(email: str, t: datetime) -> EventEnvelope:
    return EventEnvelope(
        event_id=f"forget-{email}",
        type="forget",
        source="api",
        identity=Identity(email=email),
        timestamp=t,
        received_at=t,
    )


def _traffic(rng: random.Random, people: int) -> list[list[EventEnvelope]]:
    """Rounds of events: people with varied pages, fits, stages and times, some anonymous."""
    first: list[EventEnvelope] = []
    later: list[EventEnvelope] = []
    for n in range(people):
        when = T0 + timedelta(days=rng.uniform(-150, 0), seconds=n)
        email = f"p{n}@{rng.choice(DOMAINS)}" if rng.random() < 0.8 else None
        anon = f"anon-{n}"
        title = rng.choice(TITLES)
        traits = {"title": title, "company_size": rng.choice([10, 200, 9000])} if title else {}
        ident = {"email": email} if email and rng.random() < 0.7 else {"anon": anon}
        for k in range(rng.randrange(0, 6)):
            path = rng.choice(PATHS)
            first.append(page(path, when=when + timedelta(hours=k), **ident))
        if email is None:
            if not any(e.identity.anonymous_id == anon for e in first):
                first.append(page("/careers", anon=anon, when=when))
            continue
        known = when + timedelta(hours=8)
        first.append(identify(anon=anon, email=email, when=known, traits=traits))
        roll = rng.random()
        t = when + timedelta(days=rng.uniform(0, 20))
        if roll < 0.15:
            later.append(track("Demo Requested", email=email, when=t))
        elif roll < 0.25:
            later.append(track("Unsubscribed", email=email, when=t))
        elif roll < 0.3:
            later.append(track("Email Link Clicked", email=email, when=t))
        if rng.random() < 0.3:
            outcome = rng.choice(["qualified", "won", "lost", "disqualified", "accepted"])
            later.append(crm(outcome, email=email, when=t + timedelta(hours=1)))
        if rng.random() < 0.1:
            later.append(page("/demo/pricing", anon=anon, when=t + timedelta(hours=2)))
    return [first, later]


async def _summaries(redis: Any, now: float) -> list[dict[str, Any]]:
    rows = []
    for p in range(PARTITIONS):
        shard = await redis.hgetall(PartitionKeys(p).index)
        rows += [summary_row(raw, now) for raw in shard.values()]
    return rows


def _reference(every: list[dict[str, Any]], **query: Any) -> dict[str, Any]:
    """The full scan the list did before its index: every summary decayed, filtered, sorted."""
    rows = list(every)
    stage, min_score = query.get("stage"), query.get("min_score")
    consideration = query.get("consideration")
    if stage is not None:
        rows = [r for r in rows if r["stage"] == stage]
    if consideration is not None:
        rows = [r for r in rows if r["consideration"] == consideration]
    if min_score is not None:
        rows = [r for r in rows if r["score"] >= min_score]
    sort = query.get("sort", "score")
    field = "last_seen" if sort == "recent" else sort
    rows.sort(key=lambda r: (r[field] is not None, r[field] or 0, r["lead_id"]), reverse=True)
    offset, limit = query.get("offset", 0), query.get("limit", 50)
    page = rows[offset : offset + limit]
    return {"leads": page, "total": len(rows), "offset": offset, "limit": limit}


async def _index_matches_summaries(redis: Any) -> None:
    """Each lead is listed once, under its summary's stage and fit; nothing else is listed."""
    for p in range(PARTITIONS):
        pk = PartitionKeys(p)
        summaries = {
            k.decode(): orjson.loads(v) for k, v in (await redis.hgetall(pk.index)).items()
        }
        sizes = {k.decode(): int(v) for k, v in (await redis.hgetall(pk.listing_sizes)).items()}
        slots = {
            lead: slot(s["stage"], float(s["fit"]), s["e"][2]) for lead, s in summaries.items()
        }
        assert {k: v for k, v in sizes.items() if v} == Counter(slots.values())
        for field in sizes:
            want = {lead for lead, at in slots.items() if at == field}
            key = pk.listing_score(*parse_slot(field))
            got = {m.decode() for m in await redis.zrange(key, 0, -1)}
            assert got == want, (p, field)
        for stage in STAGES:
            want = {lead for lead, s in summaries.items() if s["stage"] == stage}
            for sort in ("r", "c"):
                got = {m.decode() for m in await redis.zrange(pk.listing(stage, sort), 0, -1)}
                assert got == want, (p, stage, sort)


async def test_the_indexed_list_equals_a_full_scan_for_every_query(
    redis: Any, scorer: Scorer
) -> None:
    """Stage, min_score, sort, offset and limit at several times: same leads, order, total."""
    rng = random.Random(7)
    for events in _traffic(rng, 220):
        await scorer.send(*events)
    await _index_matches_summaries(redis)
    assert "claim" in scorer.controls and "merge" in scorer.controls
    stages_seen = {r["stage"] for r in await _summaries(redis, 0.0)}
    assert {"visitor", "lead", "mql", "sql", "customer", "recycle", "dead_end"} <= stages_seen
    base = T0.timestamp()
    pages = [(0, 10), (17, 25), (0, 500)]
    checked = 0
    for now in (base, base + 45 * DAY, base + 400 * DAY, base - 120 * DAY):
        every = await _summaries(redis, now)
        scores = sorted(r["score"] for r in every)
        # Far ahead engagement has decayed away: scores are fits, with many ties on lead id.
        assert len(set(scores)) > (20 if now == base else 8) and min(scores) < 0 < max(scores)
        cuts = [None, min(scores), 0.0, scores[len(scores) // 4], 25.555, max(scores)]
        for stage, min_score, sort, (offset, limit) in itertools.product(
            [None, "lead", "mql", "visitor", "recycle"], cuts, store.SORTS, pages
        ):
            query: dict[str, Any] = {
                "stage": stage,
                "min_score": min_score,
                "sort": sort,
                "offset": offset,
                "limit": limit,
            }
            got = await store.list_leads(redis, now=now, **query)
            assert got == _reference(every, **query), query
            checked += 1
        for consideration, sort in itertools.product(["early", "mid", "late"], store.SORTS):
            query = {
                "consideration": consideration,
                "sort": sort,
                "min_score": 1.0,
                "limit": 20,
            }
            got = await store.list_leads(redis, now=now, **query)
            assert got == _reference(every, **query), query
    assert checked > 1000
    deep: dict[str, Any] = {"sort": "recent", "offset": 150, "limit": 40, "stage": "lead"}
    every = await _summaries(redis, base)
    assert await store.list_leads(redis, now=base, **deep) == _reference(every, **deep)


async def test_stage_changes_merges_and_forgets_leave_no_stale_entries(
    redis: Any, scorer: Scorer
) -> None:
    """A lead that moves stage, merges away or is forgotten is listed only where it is now."""
    t = T0
    await scorer.send(
        page("/demo/pricing", anon="a1", when=t),
        page("/demo/blog/a", anon="a2", when=t),
        identify(email="move@corp.example", when=t),
        identify(email="gone@corp.example", when=t),
    )
    await scorer.send(
        identify(anon="a1", email="merged@corp.example", when=t + timedelta(hours=1)),
        crm("qualified", email="move@corp.example", when=t + timedelta(hours=2)),
        crm("won", email="move@corp.example", when=t + timedelta(hours=3)),
        _forget("gone@corp.example", t + timedelta(hours=4)),
    )
    await _index_matches_summaries(redis)
    listed = await store.list_leads(redis, now=t.timestamp(), limit=100)
    by_email = {r["email"]: r for r in listed["leads"]}
    assert listed["total"] == 3 and set(by_email) == {
        "move@corp.example",
        "merged@corp.example",
        None,
    }
    assert by_email["move@corp.example"]["stage"] == "customer"
    for stage in ("lead", "sql"):
        assert (await store.list_leads(redis, stage=stage, now=t.timestamp()))["total"] == (
            1 if stage == "lead" else 0
        )
    # The merged lead carries the anonymous pricing page; the anonymous lead a2 stays.
    assert by_email["merged@corp.example"]["score"] > 0
    visitors = await store.list_leads(redis, stage="visitor", now=t.timestamp())
    assert visitors["total"] == 1
