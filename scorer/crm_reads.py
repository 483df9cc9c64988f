"""The dashboard's reads of what the CRM connectors wrote (`leadpulse.kernel.crm_log`): a lead's
record in each CRM, and each connector's health. Read-only."""

from __future__ import annotations

from collections.abc import Iterable

from leadpulse.kernel.crm_log import (
    ConnectorHealth,
    CrmRecord,
    connector_health,
    crm_records,
    health_key,
    lead_key,
)
from leadpulse.kernel.valkey import Valkey

__all__ = ["connectors_health", "lead_crm_records"]


async def lead_crm_records(redis: Valkey, lead_id: str) -> list[CrmRecord]:
    """Each connector that wrote the lead: its record id there and when it last wrote."""
    return crm_records(await redis.hgetall(lead_key(lead_id)))


async def connectors_health(redis: Valkey, connectors: Iterable[str]) -> list[ConnectorHealth]:
    """One row per connector named, in that order (zeros for one that never wrote)."""
    names = list(connectors)
    async with redis.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.hgetall(health_key(name))
        rows = await pipe.execute()
    return [connector_health(name, raw) for name, raw in zip(names, rows, strict=True)]
