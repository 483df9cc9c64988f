"""The dead-letter topic: park an alert that a destination would not take; list; replay."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TypeVar

import orjson
import structlog
from aiokafka import AIOKafkaProducer
from pydantic import BaseModel, ValidationError

from leadpulse.kernel.kafka import producer_options, read_to_end
from leadpulse.kernel.schema import Alert, DeadLetter, decode, encode
from leadpulse.kernel.settings import Settings
from leadpulse.kernel.valkey import connect_valkey
from router.store import RouterStore

__all__ = [
    "DeadLetterPublisher",
    "list_dead_letters",
    "put_back",
    "read_letters",
    "replay_dead_letters",
]

log = structlog.get_logger(__name__)

Letter = TypeVar("Letter", bound=BaseModel)


class DeadLetterPublisher:
    """Writes DeadLetter messages (key: alert id) and waits for the broker's ack."""

    def __init__(self, producer: AIOKafkaProducer, topic: str) -> None:
        self._producer = producer
        self._topic = topic

    async def park(
        self, alert: Alert, destination: str, reason: str, attempts: int
    ) -> tuple[DeadLetter, str]:
        """The letter as parked, and its id: "<partition>:<offset>" on the topic."""
        letter = DeadLetter(
            alert=alert,
            destination=destination,
            reason=reason,
            attempts=attempts,
            failed_at=datetime.now(UTC),
        )
        sent = await self._producer.send_and_wait(
            self._topic, encode(letter), key=alert.alert_id.encode()
        )
        return letter, f"{sent.partition}:{sent.offset}"


async def read_letters(settings: Settings, topic: str, kind: type[Letter]) -> list[Letter]:
    """Every readable letter of `kind` on `topic`, from the beginning to the current end."""
    letters: list[Letter] = []
    for message in await read_to_end(settings, topic):
        if message.value is None:
            continue
        try:
            letters.append(decode(kind, message.value))
        except (ValidationError, orjson.JSONDecodeError):
            log.warning(
                "dead_letter_unreadable",
                topic=topic,
                partition=message.partition,
                offset=message.offset,
            )
    return letters


def _pair(letter: DeadLetter) -> str:
    return f"{letter.alert.alert_id}|{letter.destination}"


async def _open_letters(settings: Settings, store: RouterStore) -> list[DeadLetter]:
    """The newest letter per (alert, destination), minus those replayed since."""
    latest: dict[str, DeadLetter] = {}
    for letter in await read_letters(settings, settings.topics.dlq, DeadLetter):
        pair = _pair(letter)
        if pair not in latest or letter.failed_at >= latest[pair].failed_at:
            latest[pair] = letter
    replayed = await store.replayed()
    return sorted(
        (
            letter
            for pair, letter in latest.items()
            if replayed.get(pair) is None
            or datetime.fromisoformat(replayed[pair]) < letter.failed_at
        ),
        key=lambda letter: letter.failed_at,
    )


async def list_dead_letters(settings: Settings) -> list[DeadLetter]:
    """Dead-lettered alerts not replayed yet, oldest first (one per alert and destination)."""
    redis = connect_valkey(settings)
    try:
        return await _open_letters(settings, RouterStore(redis))
    finally:
        await redis.aclose()


async def replay_dead_letters(settings: Settings, alert_ids: list[str] | None = None) -> int:
    """Put dead-lettered alerts back on the alerts topic; return how many alerts went back."""
    wanted: Iterable[str] | None = set(alert_ids) if alert_ids else None
    redis = connect_valkey(settings)
    producer = AIOKafkaProducer(**producer_options(settings))
    await producer.start()
    try:
        store = RouterStore(redis)
        letters = [
            letter
            for letter in await _open_letters(settings, store)
            if wanted is None or letter.alert.alert_id in wanted
        ]
        return await put_back(store, producer, settings.topics.alerts, letters)
    finally:
        await producer.stop()
        await redis.aclose()


async def put_back(
    store: RouterStore, producer: AIOKafkaProducer, alerts_topic: str, letters: list[DeadLetter]
) -> int:
    """Replay these letters; return how many alerts went back on the alerts topic.

    Only the destinations that dead-lettered get it again: their `dead` record is cleared,
    a destination that answered 2xx keeps its record and is skipped. Doing it twice sends
    an alert twice, and its delivery records make the second copy a no-op.
    """
    alerts: dict[str, Alert] = {}
    for letter in letters:
        await store.forget_dead(letter.alert.alert_id, letter.destination)
        alerts[letter.alert.alert_id] = letter.alert
    for alert in alerts.values():
        await producer.send_and_wait(alerts_topic, encode(alert), key=alert.lead.lead_id.encode())
        log.info("alert_replayed", alert_id=alert.alert_id)
    for letter in letters:
        await store.mark_replayed(
            letter.alert.alert_id, letter.destination, letter.failed_at.isoformat()
        )
    return len(alerts)
