"""The router's side of a lead's alert log (`leadpulse.kernel.alert_log`): what became of each
alert, written where the read API finds it by lead.

Each write is one HSET (atomic, one key) plus its EXPIRE; every one is idempotent, so the
router may repeat it after a failure, and each handling of an alert rewrites what its
delivery records say, which mends a log write lost to a crash.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from redis.typing import EncodableT

from leadpulse.kernel.alert_log import (
    ALERT_LOG_TTL_SECONDS,
    DestinationState,
    alert_log_key,
    destination_field,
    gate_field,
    meta_value,
)
from leadpulse.kernel.schema import Alert
from leadpulse.kernel.valkey import Valkey

__all__ = ["note_handled", "note_outcome"]

Outcome = Literal["delivered", "dead"]

_STATE: dict[str, DestinationState] = {"delivered": "delivered", "dead": "dead_lettered"}


async def _write(redis: Valkey, alert: Alert, fields: Mapping[EncodableT, EncodableT]) -> None:
    key = alert_log_key(alert.lead.lead_id)
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hset(key, mapping=fields)
        pipe.expire(key, ALERT_LOG_TTL_SECONDS)
        await pipe.execute()


async def note_handled(
    redis: Valkey,
    alert: Alert,
    passed: bool,
    done: Mapping[str, Outcome] | None = None,
    todo: Iterable[str] = (),
) -> None:
    """The alert, its gate decision, the outcomes recorded so far, and what is still to go."""
    fields: dict[EncodableT, EncodableT] = {
        alert.alert_id: meta_value(alert.type, alert.occurred_at.timestamp()),
        gate_field(alert.alert_id): "pass" if passed else "throttled",
    }
    for name, outcome in (done or {}).items():
        fields[destination_field(alert.alert_id, name)] = _STATE[outcome]
    for name in todo:
        fields[destination_field(alert.alert_id, name)] = "pending"
    await _write(redis, alert, fields)


async def note_outcome(redis: Valkey, alert: Alert, destination: str, outcome: Outcome) -> None:
    await _write(redis, alert, {destination_field(alert.alert_id, destination): _STATE[outcome]})
