"""The router's read facade, for the dashboard: typed, frozen read models from Valkey only.

What the router delivered and retried (`router.history`), the dead letters it parked
(`router.dlq_index`, its index of the DLQ topic) and how its CRM connectors fare
(`leadpulse.kernel.crm_log`). Nothing here opens a Kafka client. The one write is a replay
request, which the router itself carries out (`router.replays`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from leadpulse.kernel.crm_log import (
    ConnectorHealth,
    CrmRecord,
    connector_health,
    crm_records,
    health_key,
    lead_key,
)
from leadpulse.kernel.valkey import Valkey
from router import dlq_index, history
from router.dlq_index import LetterState

__all__ = [
    "ConnectorHealth",
    "CrmRecord",
    "DeadLetterRow",
    "Delivery",
    "DestinationStats",
    "LetterState",
    "connectors_health",
    "dead_letters",
    "delivery_stats",
    "lead_crm_records",
    "recent_deliveries",
    "request_replay",
]


@dataclass(frozen=True)
class DestinationStats:
    """Counts for one destination since the router began."""

    destination: str
    delivered: int = 0
    retried: int = 0
    dead: int = 0


@dataclass(frozen=True)
class Delivery:
    """One outcome: an alert delivered to, or dead-lettered by, a destination."""

    at: datetime
    alert_id: str
    type: str
    lead_id: str
    destination: str
    outcome: str
    attempts: int
    reason: str | None = None


@dataclass(frozen=True)
class DeadLetterRow:
    """A dead letter (the newest per alert and destination) and what became of it."""

    letter_id: str
    alert_id: str
    type: str
    lead_id: str
    destination: str
    reason: str
    attempts: int
    failed_at: datetime
    state: LetterState


async def delivery_stats(redis: Valkey) -> list[DestinationStats]:
    """One row per destination, by name."""
    stats = await history.delivery_stats(redis)
    return [DestinationStats(name, **counts) for name, counts in sorted(stats.items())]


async def recent_deliveries(redis: Valkey, limit: int = 50) -> list[Delivery]:
    """The latest outcomes, newest first."""
    return [
        Delivery(
            at=datetime.fromisoformat(item["at"]),
            alert_id=str(item["alert_id"]),
            type=str(item["type"]),
            lead_id=str(item["lead_id"]),
            destination=str(item["destination"]),
            outcome=str(item["outcome"]),
            attempts=int(item["attempts"]),
            reason=item.get("reason"),
        )
        for item in await history.recent_deliveries(redis, limit)
    ]


async def dead_letters(redis: Valkey) -> list[DeadLetterRow]:
    """Every indexed dead letter, oldest first: open, replay requested, or replayed."""
    return [
        DeadLetterRow(
            letter_id=item.letter_id,
            alert_id=item.letter.alert.alert_id,
            type=str(item.letter.alert.type),
            lead_id=item.letter.alert.lead.lead_id,
            destination=item.letter.destination,
            reason=item.letter.reason,
            attempts=item.letter.attempts,
            failed_at=item.letter.failed_at,
            state=item.state,
        )
        for item in await dlq_index.indexed_letters(redis)
    ]


async def request_replay(redis: Valkey, alert_ids: Iterable[str]) -> int:
    """Ask the router to replay these alerts' open dead letters; return how many alerts.

    The router replays them shortly (`router.replays`); until then they show as requested.
    """
    wanted = set(alert_ids)
    letters = [
        item.letter
        for item in await dlq_index.indexed_letters(redis)
        if item.state == "open" and item.letter.alert.alert_id in wanted
    ]
    await dlq_index.note_requested(redis, letters)
    return len({letter.alert.alert_id for letter in letters})


async def lead_crm_records(redis: Valkey, lead_id: str) -> list[CrmRecord]:
    """Each connector that wrote the lead: its record id there and when it last wrote."""
    return crm_records(await redis.hgetall(lead_key(lead_id)))


async def connectors_health(redis: Valkey, connectors: Iterable[str]) -> list[ConnectorHealth]:
    """One row per connector named, in that order (zeros for one that never wrote), with
    its open CRM dead letters (parked minus replayed)."""
    names = list(connectors)
    async with redis.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.hgetall(health_key(name))
        rows = await pipe.execute()
    return [connector_health(name, raw) for name, raw in zip(names, rows, strict=True)]
