"""The router's state in Valkey: delivery records, throttle, round-robin positions, replays.

Per-alert keys share the hash tag `{alert_id}`, so everything here runs on a cluster too.
Records live 30 days: longer than any redelivery or a DLQ replay someone may still run.

Layout:
  lp:router:{<alert_id>}            hash  gate=pass|throttled, owner=<name>,
                                          d:<destination>=delivered|dead
  lp:router:throttle:{<lead>}:<type>  string <alert_id> that holds the window (PX)
  lp:router:rr:{<scope>}            int   round-robin position per territory ("*": all)
  lp:router:dlq:replayed            hash  <alert_id>|<destination> -> failed_at replayed

What became of each alert is also written per lead, for the read API (`router.lead_log`,
layout in `leadpulse.kernel.alert_log`); the records here are what decides a resend.
"""

from __future__ import annotations

from typing import Any, Literal

from leadpulse.kernel.valkey import Valkey, text
from router.dlq_index import REPLAYED_KEY, pair

__all__ = ["RECORD_TTL_SECONDS", "RouterStore"]

RECORD_TTL_SECONDS = 30 * 24 * 3600
NO_OWNER = ""

Outcome = Literal["delivered", "dead"]


def _alert_key(alert_id: str) -> str:
    return f"lp:router:{{{alert_id}}}"


class RouterStore:
    """Thin async functions over a redis.asyncio client (single node or cluster)."""

    def __init__(self, redis: Valkey) -> None:
        self._redis = redis

    @property
    def redis(self) -> Any:
        """The client, for router.history's notes."""
        return self._redis

    async def ping(self) -> bool:
        return bool(await self._redis.ping())

    async def outcomes(self, alert_id: str) -> dict[str, Outcome]:
        """Destination name -> recorded outcome, for destinations already done."""
        raw = await self._redis.hgetall(_alert_key(alert_id))
        found: dict[str, Outcome] = {}
        for field, value in raw.items():
            name = text(field)
            if name.startswith("d:"):
                found[name[2:]] = "delivered" if value == b"delivered" else "dead"
        return found

    async def record(self, alert_id: str, destination: str, outcome: Outcome) -> None:
        key = _alert_key(alert_id)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hset(key, f"d:{destination}", outcome)
            pipe.expire(key, RECORD_TTL_SECONDS)
            await pipe.execute()

    async def gate(self, alert_id: str, lead_id: str, alert_type: str, window_ms: int) -> bool:
        """True when the alert may go out; decided once per alert and then remembered.

        The throttle key holds the id of the alert that opened the window, so the same
        alert coming back (a crash, a rebalance, a replay) is let through again.
        """
        key = _alert_key(alert_id)
        decided = await self._redis.hget(key, "gate")
        if decided is not None:
            return bool(decided == b"pass")
        allowed = True
        if window_ms > 0:
            throttle = f"lp:router:throttle:{{{lead_id}}}:{alert_type}"
            if not await self._redis.set(throttle, alert_id, nx=True, px=window_ms):
                holder = await self._redis.get(throttle)
                allowed = holder is None or text(holder) == alert_id
        await self._redis.hsetnx(key, "gate", "pass" if allowed else "throttled")
        await self._redis.expire(key, RECORD_TTL_SECONDS)
        return bool(await self._redis.hget(key, "gate") == b"pass")

    async def assigned_owner(self, alert_id: str) -> str | None:
        """The owner this alert was given before, "" when it was given none; None: not yet."""
        value = await self._redis.hget(_alert_key(alert_id), "owner")
        return None if value is None else text(value)

    async def assign_owner(self, alert_id: str, owner: str | None) -> str | None:
        """Remember the owner (first writer wins) and return the one remembered."""
        key = _alert_key(alert_id)
        await self._redis.hsetnx(key, "owner", owner or NO_OWNER)
        await self._redis.expire(key, RECORD_TTL_SECONDS)
        stored = await self._redis.hget(key, "owner")
        return (text(stored) or None) if stored is not None else owner

    async def next_position(self, scope: str) -> int:
        """Advance and return the round-robin position of `scope` (kept across restarts)."""
        return int(await self._redis.incr(f"lp:router:rr:{{{scope}}}")) - 1

    async def forget_dead(self, alert_id: str, destination: str) -> bool:
        """Clear a `dead` outcome so a replay delivers again; a `delivered` one stays."""
        key = _alert_key(alert_id)
        if await self._redis.hget(key, f"d:{destination}") == b"dead":
            await self._redis.hdel(key, f"d:{destination}")
            return True
        return False

    async def mark_replayed(self, alert_id: str, destination: str, failed_at: str) -> None:
        await self._redis.hset(REPLAYED_KEY, pair(alert_id, destination), failed_at)

    async def replayed(self) -> dict[str, str]:
        raw = await self._redis.hgetall(REPLAYED_KEY)
        return {text(k): text(v) for k, v in raw.items()}
