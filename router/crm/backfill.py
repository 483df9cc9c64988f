"""Backfill and dry run: a lead as the read API shows it -> the change a CRM would get.

A backfill puts one change per lead on the lead-changes topic with seq -1, so the router
writes it through the same batches, budget and records as any change, but only for leads
a connector never wrote: a second run (or one resumed after a stop) writes only what the
first did not reach, and a lead's next real change (seq >= 0) still goes after it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer

from leadpulse.kernel.lead_change import LeadChange, Reason
from leadpulse.kernel.schema import encode
from leadpulse.kernel.valkey import Valkey
from router.crm.records import WriteRecords

__all__ = ["BACKFILL_SEQ", "BackfillQueue", "change_from_lead", "written_count"]

BACKFILL_SEQ = -1


def change_from_lead(lead: Mapping[str, Any]) -> LeadChange | None:
    """The backfill change of a lead (`GET /v1/leads/{id}` JSON); None without an email."""
    email = lead.get("email")
    if not email:
        return None
    score = lead.get("score") or {}
    rows = sorted(score.get("breakdown") or [], key=lambda r: -abs(float(r["points"])))[:3]
    alerts = lead.get("alerts") or []
    lead_id = str(lead["lead_id"])
    digest = hashlib.blake2b(f"backfill|{lead_id}".encode(), digest_size=12).hexdigest()
    return LeadChange(
        change_id=f"lc_{digest}",
        lead_id=lead_id,
        seq=BACKFILL_SEQ,
        at=datetime.now(UTC),
        causes=["backfill"],
        email=str(email),
        stage=str(lead.get("stage") or "lead"),
        score=round(float(score.get("total", 0.0)), 2),
        engagement=round(float(score.get("engagement", 0.0)), 2),
        fit=round(float(score.get("fit", 0.0)), 2),
        consideration=lead.get("consideration"),
        interests=list(lead.get("interests") or []),
        top_reasons=[Reason(rule=r["rule"], points=round(float(r["points"]), 2)) for r in rows],
        last_alert=str(alerts[-1]["type"]) if alerts else None,
    )


class BackfillQueue:
    """Puts backfill changes on the lead-changes topic, keyed by lead, acked."""

    def __init__(self, producer: AIOKafkaProducer, topic: str) -> None:
        self._producer = producer
        self._topic = topic

    async def put(self, changes: list[LeadChange]) -> None:
        futures = [
            await self._producer.send(self._topic, encode(c), key=c.lead_id.encode())
            for c in changes
        ]
        for future in futures:
            await future


async def written_count(redis: Valkey, connector: str, lead_ids: list[str]) -> int:
    """How many of `lead_ids` the connector has written (any change)."""
    records = WriteRecords(redis, connector)
    done = 0
    for start in range(0, len(lead_ids), 500):
        done += len(await records.state_of(lead_ids[start : start + 500]))
    return done
