"""A run's coalesced ops, executed by apply.lua: the net effect of recording them in order."""

from __future__ import annotations

from typing import Any

from scorer.storage.keys import PartitionKeys
from scorer.storage.scripts import Scripts
from scorer.storage.writes import WriteSet


async def _run(redis: Any, ws: WriteSet, expected: int) -> list[Any]:
    scripts = Scripts()
    await scripts.load(redis)
    keys, args = ws.script_args(expected, 1000)
    return list(await redis.evalsha(scripts.apply, len(keys), *keys, *args))


async def test_consecutive_zadds_are_one_command_and_order_with_removals_holds(
    redis: Any,
) -> None:
    """Adds around a removal of the same member end as recorded: re-added, scores last-wins."""
    pk = PartitionKeys(4711)  # a partition no topic of the tests has
    key = pk.prefix + "ops-test"
    await redis.delete(pk.offset, pk.seen, key)
    ws = WriteSet(pk)
    ws.note(0, "evt-ops-1")
    ws.zadd(key, 1.0, "a")
    ws.zadd(key, 2.0, "b")
    ws.zadd(key, 3.0, "a")
    ws.zrem(key, "b")
    ws.zadd(key, 4.0, "b")
    ws.zadd(key, 5.0, "c")
    _, ops = ws.ops()
    assert [op[0] for op in ops] == ["zadd", "zrem", "zadd"]
    assert await _run(redis, ws, -1) == [1, 0]
    assert await redis.zrange(key, 0, -1, withscores=True) == [
        (b"a", 3.0),
        (b"b", 4.0),
        (b"c", 5.0),
    ]
