"""What the router did lately, for people: recent deliveries and per-destination counts.

Metrics give operators rates; this gives the dashboard's alerts view the last deliveries
by name. Two single keys (each command touches one key, so it runs on a cluster too):

  lp:router:recent   list  newest first, capped at RECENT_MAX JSON entries
                           {at, alert_id, type, lead_id, destination, outcome, attempts, reason?}
  lp:router:stats    hash  "<destination>|delivered|retried|dead" -> count
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import orjson

from leadpulse.kernel.schema import Alert
from leadpulse.kernel.valkey import Valkey, text

__all__ = ["RECENT_MAX", "delivery_stats", "note_outcome", "note_retry", "recent_deliveries"]

RECENT_KEY = "lp:router:recent"
STATS_KEY = "lp:router:stats"
RECENT_MAX = 200
Outcome = Literal["delivered", "dead"]


async def note_outcome(
    redis: Valkey,
    alert: Alert,
    destination: str,
    outcome: Outcome,
    attempts: int,
    reason: str | None = None,
) -> None:
    entry = {
        "at": datetime.now(UTC).isoformat(),
        "alert_id": alert.alert_id,
        "type": alert.type,
        "lead_id": alert.lead.lead_id,
        "destination": destination,
        "outcome": outcome,
        "attempts": attempts,
    }
    if reason:
        entry["reason"] = reason
    await redis.lpush(RECENT_KEY, orjson.dumps(entry))
    await redis.ltrim(RECENT_KEY, 0, RECENT_MAX - 1)
    await redis.hincrby(STATS_KEY, f"{destination}|{outcome}", 1)


async def note_retry(redis: Valkey, destination: str) -> None:
    await redis.hincrby(STATS_KEY, f"{destination}|retried", 1)


async def recent_deliveries(redis: Valkey, limit: int = 50) -> list[dict[str, Any]]:
    """The latest outcomes, newest first."""
    raw = await redis.lrange(RECENT_KEY, 0, max(limit, 1) - 1)
    return [orjson.loads(item) for item in raw]


async def delivery_stats(redis: Valkey) -> dict[str, dict[str, int]]:
    """destination -> {"delivered", "retried", "dead"} counts since the router began."""
    raw = await redis.hgetall(STATS_KEY)
    stats: dict[str, dict[str, int]] = {}
    for field, value in raw.items():
        destination, _, outcome = text(field).rpartition("|")
        counts = stats.setdefault(destination, {"delivered": 0, "retried": 0, "dead": 0})
        counts[outcome] = int(value)
    return stats
