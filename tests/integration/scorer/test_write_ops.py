"""A run's coalesced ops, executed by apply.lua: the net effect of recording them in order."""

from __future__ import annotations

from typing import Any

import pytest
from redis.exceptions import ResponseError

from scorer.storage.keys import PartitionKeys
from scorer.storage.scripts import Scripts
from scorer.storage.writes import OP, OPCODES, WriteSet


async def _run(redis: Any, ws: WriteSet, expected: int) -> list[Any]:
    scripts = Scripts()
    await scripts.load(redis)
    keys, args = ws.script_args(expected, 1000)
    return list(await redis.evalsha(scripts.apply, len(keys), *keys, *args))


async def test_a_sorted_sets_adds_and_removals_are_one_command_each_last_op_winning(
    redis: Any,
) -> None:
    """Adds around a removal of the same member end as recorded: re-added, scores last-wins;
    a member added then removed is gone. One ZREM and one ZADD carry it all."""
    pk = PartitionKeys(4711)  # a partition no topic of the tests has
    key = pk.prefix + "ops-test"
    await redis.delete(pk.offset, pk.seen, key)
    await redis.zadd(key, {"d": 9.0, "e": 9.0})
    ws = WriteSet(pk)
    ws.note(0, "evt-ops-1")
    ws.zadd(key, 1.0, "a")
    ws.zadd(key, 2.0, "b")
    ws.zadd(key, 3.0, "a")
    ws.zrem(key, "b")
    ws.zrem(key, "d")
    ws.zadd(key, 4.0, "b")
    ws.zadd(key, 5.0, "c")
    ws.zadd(key, 6.0, "f")
    ws.zrem(key, "f")
    _, ops = ws.ops()
    assert [op[0] for op in ops] == ["zrem", "zadd"]
    assert await _run(redis, ws, -1) == [1, 0]
    assert await redis.zrange(key, 0, -1, withscores=True) == [
        (b"a", 3.0),
        (b"b", 4.0),
        (b"c", 5.0),
        (b"e", 9.0),
    ]


async def test_a_cut_applies_to_what_was_added_before_it_and_not_after(redis: Any) -> None:
    """ZREMRANGEBYSCORE depends on every score: ops keep their order around it."""
    pk = PartitionKeys(4712)
    key = pk.prefix + "ops-cut"
    await redis.delete(pk.offset, pk.seen, key)
    ws = WriteSet(pk)
    ws.note(0, "evt-cut-1")
    ws.zadd(key, 1.0, "old")
    ws.zadd(key, 5.0, "kept")
    ws.zcut(key, 2.0)
    ws.zadd(key, 1.5, "late")
    ws.zrem(key, "kept")
    ws.zadd(key, 6.0, "kept")
    assert await _run(redis, ws, -1) == [1, 0]
    assert await redis.zrange(key, 0, -1, withscores=True) == [(b"late", 1.5), (b"kept", 6.0)]


async def test_a_pushed_list_keeps_its_newest_entries_up_to_its_cap(redis: Any) -> None:
    """Runs push 3, then 4 more, then 1 onto a list capped at 5: the newest 5 stay."""
    pk = PartitionKeys(4713)
    key = pk.prefix + "ops-list"
    await redis.delete(pk.offset, pk.seen, key)
    expected = -1
    for offset, entries in enumerate([["a", "b", "c"], ["d", "e", "f", "g"], ["h"]]):
        ws = WriteSet(pk)
        ws.note(offset, f"evt-list-{offset}")
        for entry in entries:
            ws.lpush(key, entry, 5)
        assert await _run(redis, ws, expected) == [1, offset]
        expected = offset
    assert await redis.lrange(key, 0, -1) == [b"h", b"g", b"f", b"e", b"d"]
    assert await redis.llen(key) == 5


async def test_a_runs_sets_and_deletes_go_as_one_mset_and_one_del(redis: Any) -> None:
    """Deletes come first and sets last, each group one command; every key ends as its
    recorded ops left it (deleted then set again holds the new value)."""
    pk = PartitionKeys(4716)
    a, b, c, d = (pk.prefix + f"ops-group-{name}" for name in "abcd")
    await redis.delete(pk.offset, pk.seen, a, b, c, d)
    await redis.set(a, "old")
    await redis.rpush(c, "x")
    ws = WriteSet(pk)
    ws.note(0, "evt-group-1")
    ws.set(a, "first")
    ws.delete(a)
    ws.set(b, "b")
    ws.delete(c)
    ws.lpush(d, "pushed", 5)
    ws.set(a, "again")
    ws.delete(d)
    _, ops = ws.ops()
    assert [op[0] for op in ops] == ["del", "del", "set", "set"]
    assert await _run(redis, ws, -1) == [1, 0]
    assert await redis.mget(a, b) == [b"again", b"b"]
    assert await redis.exists(c, d) == 0


def _packed(*ops: list[Any]) -> list[Any]:
    """apply.lua's ARGV[6..] for ops given as [opcode, k, value, ...]."""
    header = b"".join(OP.pack(op[0], op[1], len(op) - 2) for op in ops)
    return [header, *(value for op in ops for value in op[2:])]


async def _refused(redis: Any, partition: int, ops: list[Any], error: str) -> None:
    """apply.lua refuses a call with these ops (ARGV[6..]) naming `error`, and writes nothing:
    not even the good SET of KEYS[3] before what is wrong."""
    pk = PartitionKeys(partition)
    key = pk.prefix + "ops-refused"
    await redis.delete(pk.offset, pk.seen, key)
    scripts = Scripts()
    await scripts.load(redis)
    keys = [pk.offset, pk.seen, key]
    with pytest.raises(ResponseError, match=error):
        await redis.evalsha(scripts.apply, len(keys), *keys, -1, 1000, 0, "[]", "", *ops)
    assert await redis.exists(key, pk.offset) == 0


@pytest.mark.parametrize(
    "bad",
    [[99, 3], [OPCODES["lpush"], 3, 5], [OPCODES["hset"], 3, "field"], [OPCODES["set"], 9, "v"]],
    ids=["an unknown opcode", "a push of nothing", "a field without its value", "no such key"],
)
async def test_a_call_with_a_bad_op_anywhere_writes_nothing(redis: Any, bad: list[Any]) -> None:
    """Every op is checked before any is executed: a good SET before a bad op is not done."""
    ops = _packed([OPCODES["set"], 3, "written"], bad)
    await _refused(redis, 4714, ops, f"bad op {bad[0]} at op 2")


async def test_a_header_that_names_more_values_than_were_sent_writes_nothing(redis: Any) -> None:
    """A header and values that disagree (one value short) are refused before any write."""
    header, *values = _packed([OPCODES["set"], 3, "written"], [OPCODES["zrem"], 3, "a", "b"])
    await _refused(redis, 4715, [header, *values[:-1]], "the ops have 3 values, ARGV 2")
