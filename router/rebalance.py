"""What the router's alert and CRM consumers share about offsets and rebalances: committing
settled offsets, and a listener under which revoked partitions are let go (their settled
offsets committed first) and assignments are logged."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from typing import Any, Protocol

import structlog
from aiokafka import ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError

from router.offsets import OffsetTracker

__all__ = ["LetGoOnRevoke", "commit_revoked", "commit_settled"]

log = structlog.get_logger(__name__)


class Owner(Protocol):
    def let_go(self, revoked: set[TopicPartition]) -> Awaitable[None]: ...


class LetGoOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, owner: Owner, assigned_event: str) -> None:
        self._owner = owner
        self._assigned_event = assigned_event

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        await self._owner.let_go(set(revoked))

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        log.info(self._assigned_event, partitions=sorted(tp.partition for tp in assigned))


async def commit_settled(consumer: Any, tracker: OffsetTracker[TopicPartition]) -> None:
    """Commit the settled offsets of the partitions still assigned."""
    ready = tracker.committable()
    if not ready or consumer is None:
        return
    assigned = consumer.assignment()
    offsets = {tp: offset for tp, offset in ready.items() if tp in assigned}
    if offsets:
        await consumer.commit(offsets)
        tracker.committed(offsets)


async def commit_revoked(
    consumer: Any,
    tracker: OffsetTracker[TopicPartition],
    revoked: Iterable[TopicPartition],
    failed_event: str,
) -> None:
    """Commit what is settled of the revoked partitions, then forget them. A failed commit
    only costs redelivery from the older offset: the next owner's records stop resends."""
    revoked = set(revoked)
    ready = {tp: o for tp, o in tracker.committable().items() if tp in revoked}
    if ready and consumer is not None:
        try:
            await consumer.commit(ready)
        except KafkaError as exc:
            log.warning(failed_event, error=type(exc).__name__)
    for tp in revoked:
        tracker.forget(tp)
