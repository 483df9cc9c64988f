"""The events dead-letter topic: park a poison message with its reason; list; replay.

A dead letter is the original record unchanged (key, value, headers), plus `lp.dlq.*`
headers saying where it came from and why, the way Kafka Connect's error headers do: any
Kafka tool reads it, and a replay puts back exactly what was sent. It is keyed like the
original, so one person's parked events keep their order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord

from leadpulse.kernel.kafka import producer_options, read_to_end
from leadpulse.kernel.settings import Settings
from scorer.metrics import DEAD_LETTERED
from scorer.runtime.errors import BrokerUnavailable, PoisonMessage

__all__ = ["DeadLetters", "ParkedEvent", "list_parked", "replay_parked"]

log = structlog.get_logger(__name__)

_PREFIX = "lp.dlq."
# The detail may quote the message; bounded so a header stays small.
_DETAIL_MAX = 2000

Headers = list[tuple[str, bytes]]


class DeadLetters:
    """Publishes dead letters on the events DLQ and waits for the broker's ack."""

    def __init__(self, producer: AIOKafkaProducer, topic: str) -> None:
        self._producer = producer
        self._topic = topic

    async def park(self, record: ConsumerRecord[bytes, bytes], poison: PoisonMessage) -> None:
        """Raises `BrokerUnavailable` when the broker did not ack: nothing is passed over."""
        about = {
            "reason": poison.reason,
            "detail": poison.detail[:_DETAIL_MAX],
            "topic": record.topic,
            "partition": str(record.partition),
            "offset": str(record.offset),
            "failed_at": datetime.now(UTC).isoformat(),
        }
        headers = [*(record.headers or ()), *((_PREFIX + k, v.encode()) for k, v in about.items())]
        try:
            await self._producer.send_and_wait(
                self._topic, record.value, key=record.key, headers=headers
            )
        except KafkaError as exc:
            raise BrokerUnavailable(f"dead letter not acked: {type(exc).__name__}") from exc
        DEAD_LETTERED.labels(poison.reason).inc()
        log.warning(
            "event_dead_lettered",
            reason=poison.reason,
            partition=record.partition,
            offset=record.offset,
            dlq=self._topic,
        )


@dataclass(frozen=True, slots=True)
class ParkedEvent:
    """A dead letter as read back: the original record and why it was parked."""

    topic: str
    partition: int
    offset: int
    reason: str
    detail: str
    failed_at: str
    key: bytes | None
    value: bytes | None
    headers: Headers

    @property
    def id(self) -> str:
        """`partition:offset` on the events topic: what `leadpulse events-dlq replay` takes."""
        return f"{self.partition}:{self.offset}"

    @classmethod
    def of(cls, record: ConsumerRecord[bytes, bytes]) -> ParkedEvent:
        ours = {k[len(_PREFIX) :]: v.decode(errors="replace") for k, v in record.headers or ()}
        original = [(k, v) for k, v in record.headers or () if not k.startswith(_PREFIX)]
        return cls(
            topic=ours.get("topic", ""),
            partition=int(ours.get("partition", "-1")),
            offset=int(ours.get("offset", "-1")),
            reason=ours.get("reason", "unknown"),
            detail=ours.get("detail", ""),
            failed_at=ours.get("failed_at", ""),
            key=record.key,
            value=record.value,
            headers=original,
        )


async def list_parked(settings: Settings) -> list[ParkedEvent]:
    """Every parked event, oldest first; one parked twice (a crash in between) shows once."""
    parked: dict[str, ParkedEvent] = {}
    for record in await read_to_end(settings, settings.topics.events_dlq):
        event = ParkedEvent.of(record)
        parked.setdefault(f"{event.topic}|{event.id}", event)
    return sorted(parked.values(), key=lambda event: event.failed_at)


async def replay_parked(settings: Settings, ids: Sequence[str] | None = None) -> int:
    """Put parked events (all, or those `ids` name) back on the events topic, unchanged.

    Once the cause is fixed they apply; an event applied before is a duplicate (its id is
    in the dedupe window) and one that still fails is parked again.
    """
    wanted = set(ids) if ids else None
    chosen = [e for e in await list_parked(settings) if wanted is None or e.id in wanted]
    producer = AIOKafkaProducer(**producer_options(settings))
    await producer.start()
    try:
        for event in chosen:
            options: dict[str, Any] = {"key": event.key, "headers": event.headers}
            await producer.send_and_wait(settings.topics.events, event.value, **options)
            log.info("event_replayed", partition=event.partition, offset=event.offset)
    finally:
        await producer.stop()
    return len(chosen)
