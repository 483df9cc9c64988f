"""The router's rebalance listener, shared by its alert and CRM consumers: revoked
partitions are let go (their settled offsets committed first); assignments are logged."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Protocol

import structlog
from aiokafka import ConsumerRebalanceListener, TopicPartition

__all__ = ["LetGoOnRevoke"]

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
