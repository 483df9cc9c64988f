"""A per-portal request budget: at most N requests in any rolling window of W seconds.

HubSpot counts requests over a rolling ten-second window per portal (100 on Free and
Starter, 190 on Professional and Enterprise): a leaky bucket that only caps the average
would let twice the limit through in one window after an idle spell. This keeps the times
of the last N requests and waits until the oldest leaves the window. A vendor's "come back
later" (429 Retry-After, or its headers saying nothing is left) pauses every request of
the portal, not only the one that was refused.

The vendor counts a request when it arrives, some time after it was sent (a thread has to
start, a busy machine delays it): so a request's place in the window moves to when its
answer came, the latest its arrival can have been.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from router import metrics
from router.crm.health import Tally

__all__ = ["RequestBudget"]


class RequestBudget:
    def __init__(
        self,
        name: str,
        limit: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        tally: Tally | None = None,
    ) -> None:
        self._name = name
        self._tally = tally
        self._limit = limit
        self._window = window_seconds
        self._clock = clock
        # One [time] per request in the window; a list so the answer can move it on.
        self._sent: deque[list[float]] = deque()
        self._paused_until = 0.0
        self._margin = max(0.05, window_seconds * 0.01)
        self._lock = asyncio.Lock()

    @property
    def limit(self) -> int:
        return self._limit

    def has_room(self) -> bool:
        """True when a request could go now by this budget's own count."""
        return self._wait_needed(self._clock()) <= 0

    def cap(self, maximum: int) -> None:
        """The vendor says the portal allows fewer requests than configured: use that."""
        if 0 < maximum < self._limit:
            self._limit = maximum

    def pause(self, seconds: float) -> None:
        """No request of this portal before `seconds` from now."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def _wait_needed(self, now: float) -> float:
        while self._sent and self._sent[0][0] <= now - self._window:
            self._sent.popleft()
        wait = self._paused_until - now
        if len(self._sent) >= self._limit:
            wait = max(wait, min(slot[0] for slot in self._sent) + self._window - now)
        return wait

    @asynccontextmanager
    async def request(self) -> AsyncIterator[None]:
        """Room for one request around the block; it counts from when its answer came."""
        slot = await self.acquire()
        try:
            yield
        finally:
            slot[0] = max(slot[0], self._clock())

    async def acquire(self) -> list[float]:
        """Wait for room in the window, then count one request (sent now)."""
        async with self._lock:
            while True:
                wait = self._wait_needed(self._clock())
                if wait <= 0:
                    break
                metrics.CRM_RATE_WAITS.labels(self._name).inc()
                if self._tally is not None:
                    self._tally.rate_limit_waits += 1
                # A margin: the vendor counts arrivals, and arrivals jitter behind sends.
                await asyncio.sleep(wait + self._margin)
            slot = [self._clock()]
            self._sent.append(slot)
            return slot
