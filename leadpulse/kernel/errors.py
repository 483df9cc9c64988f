"""The root of every service's error tree, and whether trying again can help.

Each service keeps its own small tree under `LeadPulseError` (`ingest.errors`,
`scorer.runtime.errors`, `router.errors`); a class says with `retriable` whether the same operation
may succeed later (a server down, a broker electing a leader) or will fail the same way
(bad input, a poison message, a bad config), as `KafkaError.retriable` does in aiokafka.
"""

from __future__ import annotations

__all__ = ["AlreadyStarted", "LeadPulseError", "ServiceStopped"]


class LeadPulseError(Exception):
    """A failure LeadPulse names; `retriable` says whether a retry can help."""

    retriable: bool = False


class AlreadyStarted(LeadPulseError):
    """`start()` on a part that was started before (a stopped part is not started again)."""


class ServiceStopped(LeadPulseError):
    """A service stopped itself and logged why; its command exits non-zero (1) so that a
    supervisor (`leadpulse dev`, systemd, Kubernetes) starts it again."""
