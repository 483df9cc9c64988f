"""The scorer's error tree: what can fail while applying events, and whether to retry.

Retriable: a dependency is away (Valkey, the broker); the loop backs off, resumes from
Valkey and tries again, and stops the process after `LP_SCORER_MAX_CONSECUTIVE_FAILURES`
failed steps in a row (`GaveUp`), so the supervisor restarts it. Not retriable: a poison
message (parked on the events dead-letter topic, the partition moves on) or a script that
answers an error.
"""

from __future__ import annotations

from aiokafka.errors import KafkaError

from leadpulse.kernel.errors import LeadPulseError, ServiceStopped
from leadpulse.kernel.valkey import VALKEY_AWAY

__all__ = [
    "ApplyError",
    "BrokerUnavailable",
    "GaveUp",
    "HandlerFailed",
    "PoisonMessage",
    "ScorerError",
    "Undecodable",
    "ValkeyUnavailable",
    "is_retriable",
    "translate",
]


class ScorerError(LeadPulseError):
    """Something the scorer could not do."""


class ValkeyUnavailable(ScorerError):
    """Valkey did not answer: nothing to fix but wait."""

    retriable = True


class BrokerUnavailable(ScorerError):
    """The broker did not ack (a dead letter, an outbox message): publish again later."""

    retriable = True


class ApplyError(ScorerError):
    """apply.lua answered an error: not an offset conflict, so re-reading would not help."""


class PoisonMessage(ScorerError):
    """A message that fails the same way every time it is applied.

    `reason` is a bounded label (metrics, the dead letter's header); `detail` is for people
    reading the dead-letter topic and may quote the message, so it never goes to a log.
    """

    reason = "poison"

    def __init__(self, partition: int, offset: int, detail: str) -> None:
        super().__init__(f"partition {partition} offset {offset}: {self.reason}")
        self.partition = partition
        self.offset = offset
        self.detail = detail


class Undecodable(PoisonMessage):
    """Not an event envelope (not JSON, or not the schema)."""

    reason = "undecodable"


class HandlerFailed(PoisonMessage):
    """An envelope whose handler raised: the rules cannot apply it."""

    reason = "handler_failed"


class GaveUp(ScorerError, ServiceStopped):
    """Too many failed steps in a row: the process exits for its supervisor to restart."""

    def __init__(self, failures: int, last: BaseException) -> None:
        super().__init__(f"{failures} failed steps in a row, the last {type(last).__name__}")
        self.failures = failures
        self.last = last


def is_retriable(exc: BaseException) -> bool:
    """Whether the same step may succeed later: our retriable errors and Valkey away."""
    if isinstance(exc, LeadPulseError):
        return exc.retriable
    return isinstance(exc, VALKEY_AWAY)


def translate(exc: Exception) -> Exception:
    """A failed step's error in the scorer's words (the original as its cause): Valkey or
    the broker away become `ValkeyUnavailable` or `BrokerUnavailable`; others stay as they
    are (ours already, or a bug)."""
    if isinstance(exc, LeadPulseError):
        return exc
    ours: ScorerError
    if isinstance(exc, VALKEY_AWAY):
        ours = ValkeyUnavailable(type(exc).__name__)
    elif isinstance(exc, KafkaError) and exc.retriable:
        ours = BrokerUnavailable(type(exc).__name__)
    else:
        return exc
    ours.__cause__ = exc
    return ours
