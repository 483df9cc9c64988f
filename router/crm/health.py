"""A connector's health in Valkey (`leadpulse.kernel.crm_log`), for the dashboard: counted in
process where the metrics are, and added to the connector's hash after each batch."""

from __future__ import annotations

import time
from dataclasses import dataclass, fields

from leadpulse.kernel.crm_log import health_key
from leadpulse.kernel.valkey import Valkey

__all__ = ["HealthLog", "Tally", "count_replayed"]


@dataclass
class Tally:
    """Counts not yet added to the connector's health hash."""

    requests: int = 0
    failed: int = 0
    rate_limit_waits: int = 0
    written: int = 0
    dead_lettered: int = 0

    def take(self) -> dict[str, int]:
        """The counts so far (non-zero ones), and start again from zero."""
        counts = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in counts:
            setattr(self, name, 0)
        return {name: n for name, n in counts.items() if n}


class HealthLog:
    def __init__(self, redis: Valkey, connector: str) -> None:
        self._redis = redis
        self._key = health_key(connector)

    async def add(self, counts: dict[str, int], succeeded: bool) -> None:
        """Add `counts`; a batch the CRM took also sets `last_success` to now."""
        if not counts and not succeeded:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for name, n in counts.items():
                pipe.hincrby(self._key, name, n)
            if succeeded:
                pipe.hset(self._key, "last_success", repr(time.time()))
            await pipe.execute()


async def count_replayed(redis: Valkey, connector: str, n: int = 1) -> None:
    await redis.hincrby(health_key(connector), "replayed", n)
