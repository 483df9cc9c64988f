"""A consumer's fetches without holes: no record is handed on past a gap in its partition.

A partition's offsets are consecutive unless compaction or transaction markers took some;
LeadPulse's topics have neither. The embedded broker (Tansu) can serve a produce batch
before an earlier one on the same partition is visible when several producers write at
once (seen: a tailing consumer stepped over 5 of 191,650 records in 40 s, the scorer over
the merges its own outbox had just published). A consumer that takes such a fetch as it
comes moves past those records for good. `Contiguous` hands on a partition's records up to
the first hole, seeks back to it, and lets a hole through only once it has stood for
`patience` seconds (a real gap, not a late batch), with a warning.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import structlog
from aiokafka import TopicPartition

__all__ = ["Contiguous"]

log = structlog.get_logger("leadpulse.kernel.fetch")


class Contiguous:
    """Screens the fetches of one consumer; tell it of every seek the caller makes."""

    def __init__(
        self,
        consumer: Any,
        patience: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._consumer = consumer
        self._patience = patience
        self._clock = clock
        self._next: dict[TopicPartition, int] = {}  # the offset each partition must go on at
        self._hole_since: dict[TopicPartition, tuple[int, float]] = {}
        self.holes_seen = 0

    async def getmany(self, *partitions: TopicPartition, **options: Any) -> dict[Any, list[Any]]:
        records = await self._consumer.getmany(*partitions, **options)
        screened = {tp: self.screen(tp, items) for tp, items in records.items()}
        return {tp: items for tp, items in screened.items() if items}

    def expect(self, tp: TopicPartition, offset: int | None) -> None:
        """The caller moved `tp` to `offset` (None: to where it does not know, e.g. the log's
        beginning): the next record must be that one."""
        self._hole_since.pop(tp, None)
        if offset is None:
            self._next.pop(tp, None)
        else:
            self._next[tp] = offset

    def forget(self, partitions: Sequence[TopicPartition] | None = None) -> None:
        for tp in list(self._next) if partitions is None else partitions:
            self._next.pop(tp, None)
            self._hole_since.pop(tp, None)

    def screen(self, tp: TopicPartition, items: list[Any]) -> list[Any]:
        """`items` up to the first hole; at a hole, seek back to it (until it has stood for
        `patience` seconds). A record below the expected offset passes: going back is the
        caller's to judge (a reset log)."""
        expected = self._next.get(tp)
        kept: list[Any] = []
        for record in items:
            if (
                expected is not None
                and record.offset > expected
                and not self._waited(tp, expected, record.offset)
            ):
                self._consumer.seek(tp, expected)
                self._next[tp] = expected
                return kept
            kept.append(record)
            expected = record.offset + 1
        if expected is not None:
            self._next[tp] = expected
        return kept

    def _waited(self, tp: TopicPartition, missing: int, found: int) -> bool:
        """Whether the hole at `missing` has stood long enough to be taken as real."""
        now = self._clock()
        since = self._hole_since.get(tp)
        if since is None or since[0] != missing:
            self.holes_seen += 1
            self._hole_since[tp] = (missing, now)
            return False
        if now - since[1] < self._patience:
            return False
        del self._hole_since[tp]
        log.warning(
            "offset_gap_accepted",
            topic=tp.topic,
            partition=tp.partition,
            missing=missing,
            next_offset=found,
            waited_seconds=round(now - since[1], 1),
        )
        return True
