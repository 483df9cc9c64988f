"""Which offsets may be committed while alerts finish out of order. Pure.

Alerts of one partition are handled concurrently (a destination in backoff must not hold
up the others), so they finish out of order; a partition's commit point is its lowest
offset still in flight, or one past the highest seen when none is.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

__all__ = ["OffsetTracker"]

P = TypeVar("P", bound=Hashable)


class OffsetTracker(Generic[P]):
    def __init__(self) -> None:
        self._pending: dict[P, set[int]] = {}
        self._next: dict[P, int] = {}
        self._committed: dict[P, int] = {}

    def started(self, partition: P, offset: int) -> None:
        self._pending.setdefault(partition, set()).add(offset)
        self._next[partition] = max(self._next.get(partition, 0), offset + 1)

    def finished(self, partition: P, offset: int) -> None:
        self._pending.get(partition, set()).discard(offset)

    def in_flight(self, partition: P | None = None) -> int:
        if partition is not None:
            return len(self._pending.get(partition, ()))
        return sum(len(offsets) for offsets in self._pending.values())

    def committable(self) -> dict[P, int]:
        """Partition -> the offset to commit (next to read), only where it moved."""
        ready: dict[P, int] = {}
        for partition, upper in self._next.items():
            pending = self._pending.get(partition)
            point = min(pending) if pending else upper
            if point > self._committed.get(partition, -1):
                ready[partition] = point
        return ready

    def committed(self, offsets: dict[P, int]) -> None:
        self._committed.update(offsets)

    def forget(self, partition: P) -> None:
        """Drop a revoked partition: its next owner starts from the committed offset."""
        self._pending.pop(partition, None)
        self._next.pop(partition, None)
        self._committed.pop(partition, None)
