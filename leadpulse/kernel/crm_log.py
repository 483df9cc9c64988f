"""What the CRM connectors wrote and how they fare: the keys the router writes and the
dashboard reads. The two never import each other; they share this layout. No I/O here.

    lp:crm:{<lead_id>}             hash, one per lead, refreshed TTL:
        <connector>:seq            highest change seq written
        <connector>:life           rank of the lifecycle stage written
        <connector>:id             the CRM's record id (HubSpot contact, Salesforce Lead/Contact)
        <connector>:at             epoch seconds of the last successful write
    lp:crm:health:{<connector>}    hash, one per connector, counters since the first write:
        last_success               epoch seconds of the last batch the CRM took
        written                    records written
        requests, failed           requests sent, and those the CRM (or the network) failed
        rate_limit_waits           times a request waited for the portal's budget
        dead_lettered, replayed    changes parked on the CRM DLQ, and those replayed since
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "HEALTH_COUNTERS",
    "ConnectorHealth",
    "CrmRecord",
    "connector_health",
    "crm_records",
    "health_key",
    "lead_field",
    "lead_key",
]

HEALTH_COUNTERS = (
    "written",
    "requests",
    "failed",
    "rate_limit_waits",
    "dead_lettered",
    "replayed",
)


def lead_key(lead_id: str) -> str:
    return f"lp:crm:{{{lead_id}}}"


def lead_field(connector: str, name: str) -> str:
    """`name`: seq, life, id or at."""
    return f"{connector}:{name}"


def health_key(connector: str) -> str:
    return f"lp:crm:health:{{{connector}}}"


@dataclass(frozen=True)
class CrmRecord:
    """One connector's record of a lead: its id in the CRM (when known) and the last sync."""

    connector: str
    record_id: str | None
    synced_at: float | None


@dataclass(frozen=True)
class ConnectorHealth:
    connector: str
    last_success: float | None = None
    written: int = 0
    requests: int = 0
    failed: int = 0
    rate_limit_waits: int = 0
    dead_lettered: int = 0
    replayed: int = 0

    @property
    def error_rate(self) -> float | None:
        """Failed requests / requests; None before the first request."""
        return self.failed / self.requests if self.requests else None

    @property
    def open_dead_letters(self) -> int:
        return max(0, self.dead_lettered - self.replayed)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def crm_records(log: Mapping[bytes | str, bytes | str]) -> list[CrmRecord]:
    """Every connector that wrote the lead, by name; `log`: HGETALL of `lead_key(lead)`."""
    found: dict[str, dict[str, str]] = {}
    for raw_field, raw_value in log.items():
        connector, _, name = _text(raw_field).rpartition(":")
        if connector:
            found.setdefault(connector, {})[name] = _text(raw_value)
    return [
        CrmRecord(
            connector,
            values.get("id") or None,
            float(values["at"]) if "at" in values else None,
        )
        for connector, values in sorted(found.items())
    ]


def connector_health(connector: str, raw: Mapping[bytes | str, bytes | str]) -> ConnectorHealth:
    """`raw`: HGETALL of `health_key(connector)` (empty: never written)."""
    values = {_text(k): _text(v) for k, v in raw.items()}
    counts = {name: int(values.get(name, 0)) for name in HEALTH_COUNTERS}
    last = values.get("last_success")
    return ConnectorHealth(connector, float(last) if last else None, **counts)
