"""Changes waiting to be written, one entry per lead: a burst becomes one write. No I/O.

A lead's entry keeps the change with the highest `seq` seen (changes may arrive out of
order after a redelivery) and every read it settles. Entries leave oldest first, in
batches: a batch is due when it is full or when its oldest entry has waited `linger`.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from leadpulse.kernel.lead_change import LeadChange
from router.crm.types import Token, Write

__all__ = ["Pending"]


class Pending:
    def __init__(
        self, batch_size: int, linger: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._batch_size = batch_size
        self._linger = linger
        self._clock = clock
        self._writes: OrderedDict[str, tuple[float, Write]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._writes)

    def offer(self, change: LeadChange, token: Token) -> bool:
        """Add a change; True when it joined a lead already waiting (coalesced)."""
        entry = self._writes.get(change.lead_id)
        if entry is None:
            self._writes[change.lead_id] = (self._clock(), Write(change, [token]))
            return False
        write = entry[1]
        write.tokens.append(token)
        if change.seq > write.change.seq:
            write.change = change
        return True

    def put_back(self, writes: list[Write]) -> None:
        """Writes taken but not done (an unexpected failure): first in line again."""
        for write in reversed(writes):
            lead_id = write.change.lead_id
            newer = self._writes.pop(lead_id, None)
            if newer is not None:
                write.tokens += newer[1].tokens
                if newer[1].change.seq > write.change.seq:
                    write.change = newer[1].change
            self._writes[lead_id] = (self._clock(), write)
            self._writes.move_to_end(lead_id, last=False)

    def due_in(self) -> float | None:
        """Seconds until a batch is due (0: now); None when nothing waits."""
        if not self._writes:
            return None
        if len(self._writes) >= self._batch_size:
            return 0.0
        oldest = next(iter(self._writes.values()))[0]
        return max(0.0, oldest + self._linger - self._clock())

    def take(self) -> list[Write]:
        """Up to a batch of the longest-waiting leads."""
        count = min(self._batch_size, len(self._writes))
        return [self._writes.popitem(last=False)[1][1] for _ in range(count)]
