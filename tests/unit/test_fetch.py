"""Contiguous fetches: a batch served before an earlier one (as the embedded broker does
under concurrent producers) is held back until the earlier one arrives.

The consumer here stands in for the broker's fault: it serves a later batch first."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiokafka import TopicPartition

from leadpulse.kernel.fetch import Contiguous

TP = TopicPartition("leadpulse.events", 0)


@dataclass(frozen=True)
class Record:
    offset: int


@dataclass
class LateBatchConsumer:
    """Serves `fetches` in turn from wherever it was sought; records the seeks."""

    fetches: list[list[int]]
    seeks: list[int] = field(default_factory=list)

    async def getmany(self, *partitions: Any, **options: Any) -> dict[Any, list[Record]]:
        offsets = self.fetches.pop(0) if self.fetches else []
        return {TP: [Record(o) for o in offsets]} if offsets else {}

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks.append(offset)


async def test_a_hole_is_held_back_until_the_late_batch_is_served() -> None:
    # 3 and 4 are produced but not yet visible when 5..7 are served.
    consumer = LateBatchConsumer([[0, 1, 2], [5, 6, 7], [3, 4, 5, 6, 7]])
    fetch = Contiguous(consumer)
    handed: list[int] = []
    for _ in range(3):
        for records in (await fetch.getmany(timeout_ms=10)).values():
            handed += [r.offset for r in records]
    assert handed == [0, 1, 2, 3, 4, 5, 6, 7]
    assert consumer.seeks == [3] and fetch.holes_seen == 1


async def test_a_hole_inside_one_fetch_hands_on_what_comes_before_it() -> None:
    consumer = LateBatchConsumer([[10, 11, 14, 15], [12, 13, 14, 15]])
    fetch = Contiguous(consumer)
    fetch.expect(TP, 10)
    first = await fetch.getmany(timeout_ms=10)
    second = await fetch.getmany(timeout_ms=10)
    assert [r.offset for r in first[TP]] == [10, 11]
    assert [r.offset for r in second[TP]] == [12, 13, 14, 15]
    assert consumer.seeks == [12]


async def test_a_hole_that_stands_past_its_patience_is_let_through() -> None:
    now = [0.0]
    consumer = LateBatchConsumer([[0, 1], [4, 5], [4, 5], [4, 5]])
    fetch = Contiguous(consumer, patience=5.0, clock=lambda: now[0])
    handed: list[int] = []
    for step in (0.0, 1.0, 3.0, 6.5):
        now[0] = step
        for records in (await fetch.getmany(timeout_ms=10)).values():
            handed += [r.offset for r in records]
    # Offsets 2 and 3 never came (compacted away, say): after 5 s the log goes on at 4.
    assert handed == [0, 1, 4, 5]
    assert consumer.seeks == [2, 2]


async def test_after_a_seek_of_its_own_the_caller_says_where_the_log_goes_on() -> None:
    consumer = LateBatchConsumer([[0, 1, 2], [8, 9], [0, 1]])
    fetch = Contiguous(consumer)
    await fetch.getmany(timeout_ms=10)
    fetch.expect(TP, 8)  # e.g. a conflict moved the consumer to Valkey's stored offset + 1
    assert [r.offset for r in (await fetch.getmany(timeout_ms=10))[TP]] == [8, 9]
    fetch.expect(TP, None)  # e.g. back to the log's beginning
    assert [r.offset for r in (await fetch.getmany(timeout_ms=10))[TP]] == [0, 1]
    assert consumer.seeks == []
