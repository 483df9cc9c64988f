"""The CRM dead-letter topic: a lead change a connector could not write, with the reason;
listing and replaying them."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from aiokafka import AIOKafkaProducer

from leadpulse.kernel.kafka import producer_options
from leadpulse.kernel.lead_change import CrmDeadLetter, LeadChange
from leadpulse.kernel.schema import encode
from leadpulse.kernel.settings import Settings
from leadpulse.kernel.valkey import Valkey, text
from router.crm.health import count_replayed
from router.dlq import read_letters

__all__ = ["CrmDeadLetters", "open_crm_dead_letters", "replay_crm_dead_letters"]

log = structlog.get_logger(__name__)

# <change id>|<connector> -> failed_at of the letter replayed
_REPLAYED = "lp:crm:dlq:replayed"


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


def _pair(letter: CrmDeadLetter) -> str:
    return f"{letter.change.change_id}|{letter.destination}"


async def open_crm_dead_letters(settings: Settings, redis: Valkey) -> list[CrmDeadLetter]:
    """The newest letter per (change, connector) not replayed since, oldest first."""
    latest: dict[str, CrmDeadLetter] = {}
    for letter in await read_letters(settings, settings.topics.crm_dlq, CrmDeadLetter):
        pair = _pair(letter)
        if pair not in latest or letter.failed_at >= latest[pair].failed_at:
            latest[pair] = letter
    raw = await redis.hgetall(_REPLAYED)
    replayed = {text(k): datetime.fromisoformat(text(v)) for k, v in raw.items()}
    return sorted(
        (
            letter
            for pair, letter in latest.items()
            if pair not in replayed or replayed[pair] < letter.failed_at
        ),
        key=lambda letter: letter.failed_at,
    )


async def replay_crm_dead_letters(
    settings: Settings, redis: Valkey, lead_ids: list[str] | None = None
) -> int:
    """Put dead-lettered changes back on the lead-changes topic; return how many went.

    Every connector reads them again; one that wrote the lead since (a later seq) skips
    them, so a replay never sets a CRM back to older values."""
    wanted = set(lead_ids) if lead_ids else None
    letters = [
        letter
        for letter in await open_crm_dead_letters(settings, redis)
        if wanted is None or letter.change.lead_id in wanted
    ]
    changes = {letter.change.change_id: letter.change for letter in letters}
    producer = AIOKafkaProducer(**producer_options(settings))
    await producer.start()
    try:
        for change in changes.values():
            await producer.send_and_wait(
                settings.topics.lead_changes, encode(change), key=change.lead_id.encode()
            )
    finally:
        await producer.stop()
    for letter in letters:
        await redis.hset(_REPLAYED, _pair(letter), letter.failed_at.isoformat())
        await count_replayed(redis, letter.destination)
    log.info("crm_dead_letters_replayed", changes=len(changes))
    return len(changes)
