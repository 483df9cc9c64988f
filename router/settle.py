"""Outcomes the router knows but Valkey does not hold yet, and recording them until it does.

Once a destination answered 2xx (or gave up and the alert is to be dead-lettered) the send
is never repeated by this process: the outcome is kept in memory and only its recording
(the DLQ letter, the delivery record, the history) is retried, with backoff, until each step
sticks. The alert's task, and so its Kafka offset, waits for that. Only a crash before the
record is written can lead to a resend (same webhook-id), which DESIGN.md allows.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

import structlog
from aiokafka.errors import KafkaError

from leadpulse.kernel.schema import DeadLetter
from leadpulse.kernel.valkey import VALKEY_FAILED
from router import metrics

__all__ = ["Known", "KnownOutcomes", "until_done"]

log = structlog.get_logger(__name__)

Outcome = Literal["delivered", "dead"]

# Valkey back from a restart takes a moment: try soon, then settle at a few seconds.
RECORD_RETRY_SECONDS = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0)
# Valkey or Kafka away (OSError covers refused connections and timeouts); anything else is
# a bug, and retrying it forever would hide it.
_PASSING = (*VALKEY_FAILED, KafkaError)


@dataclass
class Known:
    """One destination's outcome for one alert, and which recording steps are done."""

    outcome: Outcome
    attempts: int
    reason: str | None = None
    done: set[str] = field(default_factory=set)
    parked: tuple[DeadLetter, str] | None = None  # the DLQ letter and its id, once acked


class KnownOutcomes:
    """(alert id, destination) -> Known, while its recording is under way.

    Bounded: an entry whose alert moved to another router (a rebalance cut its task short)
    would otherwise stay forever; the oldest go first.
    """

    def __init__(self, limit: int = 10_000) -> None:
        self._limit = limit
        self._known: OrderedDict[tuple[str, str], Known] = OrderedDict()

    def get(self, alert_id: str, destination: str) -> Known | None:
        return self._known.get((alert_id, destination))

    def remember(self, alert_id: str, destination: str, known: Known) -> Known:
        self._known[(alert_id, destination)] = known
        while len(self._known) > self._limit:
            self._known.popitem(last=False)
        return known

    def forget(self, alert_id: str, destination: str) -> None:
        self._known.pop((alert_id, destination), None)

    def __len__(self) -> int:
        return len(self._known)


async def until_done(step: Callable[[], Awaitable[None]], name: str) -> None:
    """Run `step` until it succeeds, backing off between failures; only cancel stops it.

    A stop request does not: recording what was already sent is what a draining router
    must finish, and the drain deadline cancels it if Valkey stays away.
    """
    failures = 0
    while True:
        try:
            await step()
        except _PASSING as exc:
            metrics.HANDLING_ERRORS.inc()
            delay = RECORD_RETRY_SECONDS[min(failures, len(RECORD_RETRY_SECONDS) - 1)]
            failures += 1
            log.warning(
                "alert_recording_retrying", step=name, error=type(exc).__name__, failures=failures
            )
            await asyncio.sleep(delay)
        else:
            return
