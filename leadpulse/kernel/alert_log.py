"""What became of each alert about a lead: the key the router writes and the read API shows.

The scorer knows a lead's alert intents (mql, lost_deal_returned) from its state; the router
alone knows every alert it handled about the lead (sla_breach and buying_group included)
and what each destination made of it. The router writes that here, keyed by lead, and
`scorer.read.store` reads it for `GET /v1/leads/{id}`: the two never import each other, they
share this layout. No I/O here.

    lp:alerts:{<lead_id>}  hash, one per lead (one hash slot), refreshed TTL:
        <alert_id>              JSON {"type", "at"}: the alert (at: occurred_at, epoch s)
        <alert_id>|gate         pass | throttled
        <alert_id>|d|<dest>     pending | delivered | dead_lettered

An alert's state: `throttled` when the gate held it back; `pending` while an intent has no
outcome yet (not handled, or a destination still trying); `dead_lettered` when a
destination gave up on it (it waits on the DLQ); `delivered` when every destination took it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

__all__ = [
    "ALERT_LOG_TTL_SECONDS",
    "AlertState",
    "DestinationState",
    "alert_log_key",
    "alert_rows",
    "destination_field",
    "gate_field",
    "meta_value",
]

# A lead's alerts stay readable long after the router's own 30-day records.
ALERT_LOG_TTL_SECONDS = 400 * 24 * 3600

AlertState = Literal["pending", "throttled", "delivered", "dead_lettered"]
DestinationState = Literal["pending", "delivered", "dead_lettered"]


def alert_log_key(lead_id: str) -> str:
    return f"lp:alerts:{{{lead_id}}}"


def gate_field(alert_id: str) -> str:
    return f"{alert_id}|gate"


def destination_field(alert_id: str, destination: str) -> str:
    return f"{alert_id}|d|{destination}"


def meta_value(alert_type: str, at: float) -> bytes:
    return orjson.dumps({"type": alert_type, "at": at})


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat()


def _overall(gate: str | None, destinations: dict[str, str]) -> AlertState:
    if gate == "throttled":
        return "throttled"
    states = set(destinations.values())
    if gate is None or not states or "pending" in states:
        return "pending"
    return "dead_lettered" if "dead_lettered" in states else "delivered"


def alert_rows(
    intents: Iterable[tuple[str, str, float]], log: Mapping[bytes | str, bytes | str]
) -> list[dict[str, Any]]:
    """Every alert about the lead, oldest first, each with its delivery state.

    `intents`: (type, alert_id, at) the scorer keeps for the lead; `log`: HGETALL of
    `alert_log_key(lead)`. An alert found in either appears once.
    """
    known: dict[str, tuple[str, float]] = {a: (kind, float(t)) for kind, a, t in intents}
    gates: dict[str, str] = {}
    dests: dict[str, dict[str, str]] = {}
    for raw_field, raw_value in log.items():
        name, value = _text(raw_field), _text(raw_value)
        alert_id, _, rest = name.partition("|")
        if not rest:
            meta = orjson.loads(value)
            known.setdefault(alert_id, (str(meta["type"]), float(meta["at"])))
        elif rest == "gate":
            gates[alert_id] = value
        elif rest.startswith("d|"):
            dests.setdefault(alert_id, {})[rest[2:]] = value
    rows = []
    for alert_id, (kind, at) in sorted(known.items(), key=lambda item: (item[1][1], item[0])):
        destinations = dests.get(alert_id, {})
        rows.append(
            {
                "type": kind,
                "alert_id": alert_id,
                "at": _iso(at),
                "state": _overall(gates.get(alert_id), destinations),
                "destinations": [
                    {"destination": name, "state": state}
                    for name, state in sorted(destinations.items())
                ],
            }
        )
    return rows
