"""A batch's partitions are written one by one as each is computed (`runtime.batch`): a
failure part-way leaves whole partitions written, and applying the batch again gives what
one clean pass gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadpulse.kernel.config import load_config
from scorer.core.config import Rules
from scorer.read import store
from scorer.runtime import batch
from scorer.runtime.batch import Message, apply_batch, read_stored_offset
from scorer.runtime.lead_cache import LeadCache
from scorer.storage.keys import META
from scorer.storage.scripts import Scripts
from tests.unit.scorer.events import page

RULES = Rules.from_config(load_config().scoring)
START = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _pages(email: str, count: int, first_offset: int = 0) -> list[Message]:
    events = [
        page("/demo/blog/a", email=email, when=START + timedelta(hours=n)) for n in range(count)
    ]
    return [Message(first_offset + i, e.key, e) for i, e in enumerate(events)]


async def _lead(redis: Any, email: str) -> tuple[int, float]:
    lead = await store.get_lead(redis, email)
    assert lead is not None
    pages = sum(1 for e in lead["timeline"] if e["type"] == "page")
    return pages, float(lead["score"]["total"])


async def test_a_failure_in_a_later_partition_leaves_the_earlier_ones_whole(
    redis: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripts = Scripts()
    await scripts.load(redis)
    await redis.hset(META, mapping={"partitions": 3})
    batches = {
        0: _pages("first@acme.example", 3),
        1: _pages("second@acme.example", 3),
        2: _pages("third@acme.example", 2),
    }
    applied = batch.apply_message

    def failing_on_partition_1(view: Any, rules: Rules, key: str, offset: int, *rest: Any) -> Any:
        if view.pk.partition == 1 and offset == 2:  # its third message
            raise ConnectionError("injected: the process lost something mid-batch")
        return applied(view, rules, key, offset, *rest)

    monkeypatch.setattr(batch, "apply_message", failing_on_partition_1)
    cache = LeadCache()
    with pytest.raises(ConnectionError):
        await apply_batch(redis, scripts, RULES, batches, cache)
    # Partition 0 was computed first: its writes went out, whole, and are in Valkey.
    assert await read_stored_offset(redis, 0) == 2
    assert await read_stored_offset(redis, 1) == -1 and await read_stored_offset(redis, 2) == -1
    assert len(cache) == 0  # nothing of the failed batch is trusted from memory

    monkeypatch.setattr(batch, "apply_message", applied)
    results = await apply_batch(redis, scripts, RULES, batches, cache)
    assert results[0].outcomes["already_applied"] == 3
    assert [results[p].last_applied for p in (0, 1, 2)] == [None, 2, 1]
    # The same pages applied in one clean pass, for other people.
    clean = {
        0: _pages("first.clean@acme.example", 3, 3),
        1: _pages("second.clean@acme.example", 3, 3),
        2: _pages("third.clean@acme.example", 2, 2),
    }
    await apply_batch(redis, scripts, RULES, clean, LeadCache())
    for name, count in (("first", 3), ("second", 3), ("third", 2)):
        mine = await _lead(redis, f"{name}@acme.example")
        assert mine == await _lead(redis, f"{name}.clean@acme.example")
        assert mine[0] == count
