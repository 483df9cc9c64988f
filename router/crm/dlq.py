"""The CRM dead-letter topic: a lead change a connector could not write, with the reason."""

from __future__ import annotations

from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer

from leadpulse.lead_change import CrmDeadLetter, LeadChange
from leadpulse.schema import encode

__all__ = ["CrmDeadLetters"]


class CrmDeadLetters:
    """Writes CrmDeadLetter messages (key: lead id) and waits for the broker's ack."""

    def __init__(self, producer: AIOKafkaProducer, topic: str) -> None:
        self._producer = producer
        self._topic = topic

    async def park(self, change: LeadChange, destination: str, reason: str, attempts: int) -> None:
        letter = CrmDeadLetter(
            change=change,
            destination=destination,
            reason=reason,
            attempts=attempts,
            failed_at=datetime.now(UTC),
        )
        await self._producer.send_and_wait(self._topic, encode(letter), key=change.lead_id.encode())
