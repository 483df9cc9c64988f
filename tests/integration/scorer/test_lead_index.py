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

from leadpulse.kernel.config import LeadPulseConfig, load_config
from leadpulse.kernel.schema import STAGES
from leadpulse.kernel.settings import Settings
from leadpulse.kernel.valkey import valkey_at
from leadpulse.kernel.wire import Envelope, read_envelope
from scorer import rescore
from scorer.core.config import Rules
from scorer.core.decay import DAY
from scorer.core.save import summary_fields
from scorer.read import store
from scorer.read.list_walk import index_rows
from scorer.runtime.batch import Message, apply_batch
from scorer.storage.keys import META, PartitionKeys
from scorer.storage.list_index import parse_slot, slot
from scorer.storage.scripts import Scripts
from tests.integration.scorer.conftest import ScorerStarter, wait_for
from tests.unit.scorer.events import crm, forget, identify, page, track

RULES = Rules.from_config(load_config().scoring)
PARTITIONS = 4
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PATHS = ["/demo/blog/a", "/demo/pricing", "/demo/compare/x", "/demo/case-studies/a", "/careers"]
TITLES = ["VP Sales", "Marketing Manager", "Engineer", "Head of IT", None, "Student"]
DOMAINS = ["acme-industrial.example", "globex.example", "gmail.com", "corp.example"]


@pytest.fixture
async def client(redis_target: tuple[str, bool]) -> AsyncIterator[Any]:
    url, cluster = redis_target
    client = valkey_at(url, cluster=cluster)
    await client.hset(META, mapping={"partitions": PARTITIONS})
    yield client
    await client.aclose()


class Scorer:
    """Feeds events through the scorer's real apply path, and its claims/merges back in."""

    def __init__(self, redis: Any, scripts: Scripts, rules: Rules = RULES) -> None:
        self.redis = redis
        self.scripts = scripts
        self.rules = rules
        self.offsets = dict.fromkeys(range(PARTITIONS), 0)
        self.controls: list[str] = []

    async def send(self, *events: Envelope) -> None:
        pending = [(e.key, e) for e in events]
        while pending:
            batches: dict[int, list[Message]] = {}
            for key, event in pending:
                partition = zlib.crc32(key.encode()) % PARTITIONS
                batches.setdefault(partition, []).append(
                    Message(self.offsets[partition], key, event)
                )
                self.offsets[partition] += 1
            results = await apply_batch(self.redis, self.scripts, self.rules, batches)
            pending = []
            for result in results.values():
                assert not result.conflict
                for out in result.outbound:
                    if out.topic == "events":
                        event = read_envelope(out.value)
                        self.controls.append(event.type)
                        pending.append((out.key, event))


@pytest.fixture
async def scorer(client: Any) -> Scorer:
    scripts = Scripts()
    await scripts.load(client)
    return Scorer(client, scripts)


def _traffic(rng: random.Random, people: int) -> list[list[Envelope]]:
    """Rounds of events: people with varied pages, fits, stages and times, some anonymous."""
    first: list[Envelope] = []
    later: list[Envelope] = []
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


async def _summaries(redis: Any, now: float, partitions: int = PARTITIONS) -> list[dict[str, Any]]:
    rows = []
    for p in range(partitions):
        shard = await redis.hgetall(PartitionKeys(p).index)
        rows += index_rows(shard, now)
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


async def _index_matches_summaries(redis: Any, partitions: int = PARTITIONS) -> None:
    """Each lead is listed once, where its summary says; every count is right."""
    for p in range(partitions):
        pk = PartitionKeys(p)
        summaries = {
            k.decode(): summary_fields(k.decode(), v)
            for k, v in (await redis.hgetall(pk.index)).items()
        }
        sizes = {k.decode(): int(v) for k, v in (await redis.hgetall(pk.listing_sizes)).items()}
        slots = {
            lead: slot(s["stage"], s["consideration"], float(s["fit"]), s["e"][2])
            for lead, s in summaries.items()
        }
        assert {k: v for k, v in sizes.items() if v} == Counter(slots.values())
        sets: dict[str, set[str]] = {}
        for lead, at in slots.items():
            stage, _, fit, half_life = parse_slot(at)
            sets.setdefault(pk.listing_score(stage, fit, half_life), set()).add(lead)
        for field in sizes:
            stage, _, fit, half_life = parse_slot(field)
            key = pk.listing_score(stage, fit, half_life)
            got = {m.decode() for m in await redis.zrange(key, 0, -1)}
            assert got == sets.get(key, set()), (p, field)
        for stage in STAGES:
            want = {lead for lead, s in summaries.items() if s["stage"] == stage}
            for sort in ("r", "c"):
                got = {m.decode() for m in await redis.zrange(pk.listing(stage, sort), 0, -1)}
                assert got == want, (p, stage, sort)


async def test_the_indexed_list_equals_a_full_scan_for_every_query(
    client: Any, scorer: Scorer
) -> None:
    """Stage, min_score, sort, offset and limit at several times: same leads, order, total."""
    rng = random.Random(7)
    for events in _traffic(rng, 220):
        await scorer.send(*events)
    await _index_matches_summaries(client)
    assert "claim" in scorer.controls and "merge" in scorer.controls
    stages_seen = {r["stage"] for r in await _summaries(client, T0.timestamp())}
    assert {"visitor", "lead", "mql", "sql", "customer", "recycle", "dead_end"} <= stages_seen
    base = T0.timestamp()
    pages = [(0, 10), (17, 25), (0, 500)]
    checked = 0
    for now in (base, base + 45 * DAY, base + 400 * DAY, base - 120 * DAY):
        every = await _summaries(client, now)
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
            got = await store.list_leads(client, now=now, **query)
            assert got == _reference(every, **query), query
            checked += 1
        for consideration, sort, min_score, stage in itertools.product(
            ["early", "mid", "late"], store.SORTS, [None, 1.0], [None, "lead"]
        ):
            query = {
                "consideration": consideration,
                "sort": sort,
                "min_score": min_score,
                "stage": stage,
                "limit": 20,
            }
            got = await store.list_leads(client, now=now, **query)
            assert got == _reference(every, **query), query
        for _ in range(120):
            query = {
                "stage": rng.choice([None, None, *STAGES]),
                "min_score": rng.choice([None, rng.choice(scores), rng.uniform(-20, 80)]),
                "consideration": rng.choice([None, None, None, "early", "late"]),
                "sort": rng.choice(store.SORTS),
                "offset": rng.choice([0, rng.randrange(0, 250)]),
                "limit": rng.randrange(1, 120),
            }
            got = await store.list_leads(client, now=now, **query)
            assert got == _reference(every, **query), query
            checked += 1
    assert checked > 1000
    deep: dict[str, Any] = {"sort": "recent", "offset": 150, "limit": 40, "stage": "lead"}
    every = await _summaries(client, base)
    assert await store.list_leads(client, now=base, **deep) == _reference(every, **deep)


async def test_stage_changes_merges_and_forgets_leave_no_stale_entries(
    client: Any, scorer: Scorer
) -> None:
    """A lead that moves stage, merges away or is forgotten is listed only where it is now."""
    t = T0
    for sort in store.SORTS:
        empty = await store.list_leads(client, sort=sort, min_score=1.0)
        assert empty == {"leads": [], "total": 0, "offset": 0, "limit": 50}
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
        forget("gone@corp.example", when=t + timedelta(hours=4)),
    )
    await _index_matches_summaries(client)
    listed = await store.list_leads(client, now=t.timestamp(), limit=100)
    by_email = {r["email"]: r for r in listed["leads"]}
    assert listed["total"] == 3 and set(by_email) == {
        "move@corp.example",
        "merged@corp.example",
        None,
    }
    assert by_email["move@corp.example"]["stage"] == "customer"
    for stage in ("lead", "sql"):
        assert (await store.list_leads(client, stage=stage, now=t.timestamp()))["total"] == (
            1 if stage == "lead" else 0
        )
    # The merged lead carries the anonymous pricing page; the anonymous lead a2 stays.
    assert by_email["merged@corp.example"]["score"] > 0
    visitors = await store.list_leads(client, stage="visitor", now=t.timestamp())
    assert visitors["total"] == 1


def _half_life(days: float) -> Rules:
    return Rules.from_config(_config_with_half_life(days).scoring)


async def test_a_half_life_change_keeps_the_list_exact_before_any_rescore(
    client: Any, scorer: Scorer
) -> None:
    """Leads written under two half-lives side by side: still the full scan's page and total."""
    rng = random.Random(11)
    first, later = _traffic(rng, 80)
    await scorer.send(*first)
    scorer.rules = _half_life(7.0)
    await scorer.send(*later)
    halves = {r["e"][2] for r in await _raw_summaries(client)}
    assert halves == {30.0, 7.0}
    await _index_matches_summaries(client)
    base = T0.timestamp()
    for now, sort, min_score in itertools.product(
        (base, base + 20 * DAY), ("score", "recent"), (None, 0.0, 30.0)
    ):
        every = await _summaries(client, now)
        query: dict[str, Any] = {"sort": sort, "min_score": min_score, "limit": 15}
        assert await store.list_leads(client, now=now, **query) == _reference(every, **query)


async def _raw_summaries(redis: Any) -> list[dict[str, Any]]:
    found = []
    for p in range(PARTITIONS):
        shard = await redis.hgetall(PartitionKeys(p).index)
        found += [summary_fields(k.decode(), v) for k, v in shard.items()]
    return found


async def test_summaries_written_before_the_index_are_listed_by_a_full_scan(
    client: Any, scorer: Scorer
) -> None:
    """A partition whose summaries the index does not cover yet still lists every lead."""
    await scorer.send(*_traffic(random.Random(5), 30)[0])
    pk = PartitionKeys(1)
    old = {"lead_id": "ld_before", "email": "old@corp.example", "stage": "mql", "stage_at": 1.0}
    old |= {"account": None, "consideration": None, "interests": [], "e": [5.0, 1.0, 30.0]}
    old |= {"fit": 0.0, "last_seen": 2.0, "created": 1.0, "owner": None, "paused_until": None}
    await client.hset(pk.index, "ld_before", orjson.dumps(old))
    now = T0.timestamp()
    every = await _summaries(client, now)
    for sort in store.SORTS:
        query: dict[str, Any] = {"sort": sort, "limit": 500}
        got = await store.list_leads(client, now=now, **query)
        assert got == _reference(every, **query)
        assert "ld_before" in {r["lead_id"] for r in got["leads"]}


async def test_rescore_rebuilds_the_list_index(
    scorer_settings: Settings, produce: Any, start_scorer: ScorerStarter, redis: Any
) -> None:
    """After `leadpulse rescore` with a new half-life the index lists exactly the summaries."""
    events = [e for batch in _traffic(random.Random(9), 25) for e in batch]
    await produce(*events)
    halt = await start_scorer()
    partitions = scorer_settings.kafka_partitions

    seen: list[int] = []

    async def settled() -> bool:
        """Every event applied, every claim and merge published: nothing moves any more."""
        pending = [await redis.hlen(PartitionKeys(p).outbox) for p in range(partitions)]
        offsets = [await redis.get(PartitionKeys(p).offset) for p in range(partitions)]
        seen.append(hash((tuple(pending), tuple(offsets))))
        listed = await _summaries(redis, T0.timestamp(), partitions)
        return len(listed) > 15 and not any(pending) and len(set(seen[-5:])) == 1

    await wait_for(settled, what="the scorer's first run")
    await halt()
    await rescore(scorer_settings, _config_with_half_life(10.0))
    summaries = await _summaries(redis, T0.timestamp(), partitions)
    await _index_matches_summaries(redis, partitions)
    now = T0.timestamp()
    every = await _summaries(redis, now, partitions)
    assert every and all(r["stage"] for r in summaries)
    for sort in store.SORTS:
        query: dict[str, Any] = {"sort": sort, "min_score": 5.0, "limit": 10}
        assert await store.list_leads(redis, now=now, **query) == _reference(every, **query)


def _config_with_half_life(days: float) -> LeadPulseConfig:
    config = load_config()
    model = config.scoring.models[0].model_copy(update={"half_life_days": days})
    scoring = config.scoring.model_copy(update={"models": [model]})
    return config.model_copy(update={"scoring": scoring})


async def test_an_offset_past_every_lead_is_an_empty_page(client: Any, scorer: Scorer) -> None:
    """However large the offset: no rows, the true total, never a server error."""
    for events in _traffic(random.Random(3), 40):
        await scorer.send(*events)
    now = T0.timestamp()
    every = await _summaries(client, now)
    for sort, min_score in itertools.product(("score", "recent", "created"), (None, 30.0)):
        query: dict[str, Any] = {"sort": sort, "min_score": min_score, "offset": 10**30}
        listed = await store.list_leads(client, now=now, **query)
        assert listed == _reference(every, **query) and listed["leads"] == []
        assert listed["total"] > 0
