"""A per-portal request budget: at most N requests in any rolling window of W seconds.

HubSpot counts requests over a rolling ten-second window per portal (100 on Free and
Starter, 190 on Professional and Enterprise): a leaky bucket that only caps the average
would let twice the limit through in one window after an idle spell. This keeps the times
of the last N requests and waits until the oldest leaves the window. A vendor's "come back
later" (429 Retry-After, or its headers saying nothing is left) pauses every request of
the portal, not only the one that was refused.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

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
        self._sent: deque[float] = deque()
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
        while self._sent and self._sent[0] <= now - self._window:
            self._sent.popleft()
        wait = self._paused_until - now
        if len(self._sent) >= self._limit:
            wait = max(wait, self._sent[0] + self._window - now)
        return wait

    async def acquire(self) -> None:
        """Wait for room in the window, then count one request."""
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
            self._sent.append(self._clock())
