"""What each CRM connector wrote, in Valkey: so a restart never writes a change twice.

Layout (the per-lead hash is `leadpulse.kernel.crm_log`'s, which the dashboard reads too):
  lp:crm:{<lead_id>}             hash  <connector>:seq  = highest change seq written
                                       <connector>:life = rank of the lifecycle stage written
                                       <connector>:id   = the CRM's record id, when it said
                                       <connector>:at   = epoch s of the last write
  lp:crm:inflight:{<connector>}  hash  <batch id> -> JSON [[lead_id, seq, change_id, email,
                                       life rank or null], ...]: a batch sent, not recorded

A batch is noted in flight before it is sent and dropped once its writes are recorded. A
router that died in between finds the note at start and asks the CRM which of those changes
it holds (`Connector.applied`), so a batch the CRM took is recorded, never sent again.
Records live 400 days from their last write, like the lead's alert log.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import orjson
from redis.typing import EncodableT

from leadpulse.kernel.crm_log import lead_field, lead_key
from leadpulse.kernel.valkey import Valkey, text

__all__ = ["InFlight", "WriteRecords", "Written"]

TTL_SECONDS = 400 * 24 * 3600


@dataclass(frozen=True)
class Written:
    """One lead's write in a batch: the change written and the lifecycle rank sent."""

    lead_id: str
    seq: int
    change_id: str
    email: str
    life: int | None = None


@dataclass(frozen=True)
class InFlight:
    batch_id: str
    writes: list[Written]


def _inflight_key(connector: str) -> str:
    return f"lp:crm:inflight:{{{connector}}}"


class WriteRecords:
    def __init__(self, redis: Valkey, connector: str) -> None:
        self._redis = redis
        self._connector = connector

    async def state_of(self, lead_ids: Iterable[str]) -> dict[str, tuple[int, int | None]]:
        """lead id -> (highest seq written, lifecycle rank written) for leads written before."""
        ids = list(lead_ids)
        fields = (lead_field(self._connector, "seq"), lead_field(self._connector, "life"))
        async with self._redis.pipeline(transaction=False) as pipe:
            for lead_id in ids:
                pipe.hmget(lead_key(lead_id), *fields)
            rows = await pipe.execute()
        found: dict[str, tuple[int, int | None]] = {}
        for lead_id, (seq, life) in zip(ids, rows, strict=True):
            if seq is not None:
                found[lead_id] = (int(seq), int(life) if life is not None else None)
        return found

    async def record(
        self, writes: Iterable[Written], record_ids: Mapping[str, str] | None = None
    ) -> None:
        """Note each write's seq, lifecycle rank, time and (by change id) the CRM's record id."""
        ids = record_ids or {}
        now = repr(time.time())
        async with self._redis.pipeline(transaction=False) as pipe:
            for write in writes:
                key = lead_key(write.lead_id)
                values: dict[EncodableT, EncodableT] = {
                    lead_field(self._connector, "seq"): write.seq,
                    lead_field(self._connector, "at"): now,
                }
                if write.life is not None:
                    values[lead_field(self._connector, "life")] = write.life
                if write.change_id in ids:
                    values[lead_field(self._connector, "id")] = ids[write.change_id]
                pipe.hset(key, mapping=values)
                pipe.expire(key, TTL_SECONDS)
            await pipe.execute()

    async def note_in_flight(self, batch: InFlight) -> None:
        rows = [[w.lead_id, w.seq, w.change_id, w.email, w.life] for w in batch.writes]
        await self._redis.hset(_inflight_key(self._connector), batch.batch_id, orjson.dumps(rows))

    async def done_in_flight(self, batch_id: str) -> None:
        await self._redis.hdel(_inflight_key(self._connector), batch_id)

    async def in_flight(self) -> list[InFlight]:
        raw = await self._redis.hgetall(_inflight_key(self._connector))
        return [
            InFlight(text(key), [Written(*row) for row in orjson.loads(value)])
            for key, value in raw.items()
        ]
