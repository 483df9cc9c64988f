"""Lead states kept in memory between batches never hide another writer's changes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from leadpulse.kernel.config import load_config
from scorer.core.config import Rules
from scorer.read import store
from scorer.runtime.batch import Message, apply_batch
from scorer.runtime.lead_cache import LeadCache
from scorer.storage.keys import META
from scorer.storage.scripts import Scripts
from tests.unit.scorer.events import page

RULES = Rules.from_config(load_config().scoring)
EMAIL = "cache@acme.example"
REF = "reference@acme.example"
# Recent, so the scores have not decayed to nothing; within one day of page_view's cap.
START = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _pages(first: int, count: int, email: str = EMAIL) -> dict[int, list[Message]]:
    events = [
        page("/demo/blog/a", email=email, when=START + timedelta(hours=n))
        for n in range(first, first + count)
    ]
    return {0: [Message(first + i, e.key, e) for i, e in enumerate(events)]}


async def _pages_scored(redis: Any, email: str = EMAIL) -> tuple[int, float]:
    """(pages on the timeline, page_view points in the score): the list and the state."""
    lead = await store.get_lead(redis, email)
    assert lead is not None
    pages = sum(1 for e in lead["timeline"] if e["type"] == "page")
    points = next(r["points"] for r in lead["score"]["breakdown"] if r["rule"] == "page_view")
    return pages, points


async def test_a_cached_lead_is_reloaded_after_another_consumer_wrote_it(redis: Any) -> None:
    """A moves on from B's writes: the score counts all 5 pages, none lost to A's old copy."""
    scripts = Scripts()
    await scripts.load(redis)
    await redis.hset(META, mapping={"partitions": 1})
    mine, theirs = LeadCache(), LeadCache()
    await apply_batch(redis, scripts, RULES, _pages(0, 2), mine)
    assert len(mine) == 1
    # The partition moved to another consumer for a while (a rebalance), then back.
    await apply_batch(redis, scripts, RULES, _pages(2, 2), theirs)
    results = await apply_batch(redis, scripts, RULES, _pages(4, 1), mine)
    assert results[0].last_applied == 4 and not results[0].conflict
    # The same five pages applied by one consumer in one go, for another person.
    reference = {0: [Message(5 + m.offset, m.key, m.event) for m in _pages(0, 5, REF)[0]]}
    await apply_batch(redis, scripts, RULES, reference, LeadCache())
    assert await _pages_scored(redis) == await _pages_scored(redis, REF)
    assert (await _pages_scored(redis))[0] == 5


class _Overtaken:
    """The real client, except that another consumer writes just before our apply runs.

    apply_batch makes three pipelines: two reads, then the apply; the fault goes before the
    third one executes, between what this consumer read and what it writes.
    """

    def __init__(self, redis: Any, other_writer: Callable[[], Awaitable[object]]) -> None:
        self._redis = redis
        self._other_writer: Callable[[], Awaitable[object]] | None = other_writer
        self._pipelines = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._redis, name)

    def pipeline(self, transaction: bool = False) -> Any:
        pipe = self._redis.pipeline(transaction=transaction)
        self._pipelines += 1
        if self._pipelines == 3 and self._other_writer is not None:
            other, self._other_writer = self._other_writer, None
            execute = pipe.execute

            async def overtaken(**kw: Any) -> Any:
                await other()
                return await execute(**kw)

            pipe.execute = overtaken
        return pipe


async def test_a_conflicting_write_leaves_nothing_cached(redis: Any) -> None:
    """A batch refused by the offset check (overtaken by another consumer) caches nothing."""
    scripts = Scripts()
    await scripts.load(redis)
    await redis.hset(META, mapping={"partitions": 1})
    zombie, owner = LeadCache(), LeadCache()
    await apply_batch(redis, scripts, RULES, _pages(0, 1), zombie)
    assert len(zombie) == 1

    async def owner_writes() -> object:
        return await apply_batch(redis, scripts, RULES, _pages(1, 2), owner)

    racing = _Overtaken(redis, owner_writes)
    stale = await apply_batch(racing, scripts, RULES, _pages(1, 2), zombie)
    assert stale[0].conflict and stale[0].last_applied is None
    assert len(zombie) == 0
    assert (await _pages_scored(redis))[0] == 3
    # The zombie's next look at the partition starts from what the owner wrote.
    await apply_batch(redis, scripts, RULES, _pages(3, 1), zombie)
    pages, points = await _pages_scored(redis)
    reference = {0: [Message(4 + m.offset, m.key, m.event) for m in _pages(0, 4, REF)[0]]}
    await apply_batch(redis, scripts, RULES, reference, LeadCache())
    assert (pages, points) == await _pages_scored(redis, REF)
    assert pages == 4
