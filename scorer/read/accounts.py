"""Accounts as every scorer reads them on its tick, and as the read API reads one: the
directory of accounts `group` calls described, and the accounts with a lost deal."""

from __future__ import annotations

from typing import Any

import orjson

from leadpulse.kernel.valkey import Valkey
from scorer.core.accounts import AccountInfo
from scorer.storage.keys import META, PartitionKeys

__all__ = ["AccountDirectory", "read_account", "read_lost_accounts"]

# changes re-read on each tick from a little before the last one: scorers' clocks differ
_OVERLAP_SECONDS = 120.0


def _record(raw: Any) -> AccountInfo | None:
    try:
        data = orjson.loads(raw)
        return AccountInfo(str(data["account"]), dict(data["traits"]), float(data["at"]))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


async def read_account(redis: Valkey, partitions: int, name: str) -> AccountInfo | None:
    """An account by its id or its domain, from whichever partition recorded it."""
    pipe = redis.pipeline(transaction=False)
    for partition in range(partitions):
        pipe.hget(PartitionKeys(partition).accounts, name.strip().lower())
    found = [info for raw in await pipe.execute() if raw and (info := _record(raw))]
    return max(found, key=lambda info: info.at) if found else None


class AccountDirectory:
    """Every account a `group` call described, by id and by domain; refreshed on the tick
    with what changed since the last read."""

    def __init__(self) -> None:
        self.entries: dict[str, AccountInfo] = {}
        self._since: dict[int, float] = {}

    async def refresh(self, redis: Valkey) -> int:
        """Read the accounts changed since the last refresh; return how many."""
        partitions = int(await redis.hget(META, "partitions") or 0)
        if not partitions:
            return 0
        pipe = redis.pipeline(transaction=False)
        for partition in range(partitions):
            since = self._since.get(partition, 0.0)
            start = max(0.0, since - _OVERLAP_SECONDS) if since else "-inf"
            pipe.zrangebyscore(
                PartitionKeys(partition).account_changes, start, "+inf", withscores=True
            )
        changed = await pipe.execute()
        pipe = redis.pipeline(transaction=False)
        asked: list[list[str]] = []
        for partition, rows in enumerate(changed):
            names = [m.decode() if isinstance(m, bytes) else str(m) for m, _ in rows]
            if rows:
                self._since[partition] = max(float(score) for _, score in rows)
                pipe.hmget(PartitionKeys(partition).accounts, names)
            asked.append(names)
        replies = iter(await pipe.execute()) if any(asked) else iter(())
        count = 0
        for names in asked:
            if not names:
                continue
            for name, raw in zip(names, next(replies), strict=True):
                info = _record(raw) if raw else None
                old = self.entries.get(name)
                if info is not None and (old is None or info.at >= old.at):
                    self.entries[name] = info
                    count += 1
        return count


async def read_lost_accounts(redis: Valkey) -> dict[str, float]:
    """Every account with a lost deal not yet back: account -> when the deal was lost."""
    partitions = int(await redis.hget(META, "partitions") or 0)
    if not partitions:
        return {}
    pipe = redis.pipeline(transaction=False)
    for partition in range(partitions):
        pipe.hgetall(PartitionKeys(partition).lost_accounts)
    lost: dict[str, float] = {}
    for shard in await pipe.execute():
        for raw_account, raw in shard.items():
            record = orjson.loads(raw)
            account = raw_account.decode() if isinstance(raw_account, bytes) else raw_account
            lost[account] = float(record["at"])
    return lost
