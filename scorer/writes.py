"""The effects of one message, as the op list `lua/apply.lua` executes atomically."""

from __future__ import annotations

import orjson

from scorer.keys import PartitionKeys

__all__ = ["WriteSet"]

Arg = str | bytes | int | float
Op = list[str | int | float]


class WriteSet:
    """Ops on one partition's keys; `message_args` gives its part of an apply.lua call."""

    __slots__ = ("_index", "_keys", "_ops", "event_id", "offset", "pk")

    def __init__(self, pk: PartitionKeys, offset: int, event_id: str | None) -> None:
        self.pk = pk
        self.offset = offset
        self.event_id = event_id or ""
        self._keys: list[str] = [pk.offset, pk.seen]
        self._index: dict[str, int] = {}
        self._ops: list[Op] = []

    def _k(self, key: str) -> int:
        found = self._index.get(key)
        if found is None:
            self._keys.append(key)
            found = self._index[key] = len(self._keys)
        return found

    def set(self, key: str, value: str | bytes) -> None:
        self._ops.append(["set", self._k(key), _text(value)])

    def delete(self, key: str) -> None:
        self._ops.append(["del", self._k(key)])

    def hset(self, key: str, field: str, value: str | bytes) -> None:
        self._ops.append(["hset", self._k(key), field, _text(value)])

    def hdel(self, key: str, field: str) -> None:
        self._ops.append(["hdel", self._k(key), field])

    def hincr(self, key: str, field: str, by: int) -> None:
        self._ops.append(["hincr", self._k(key), field, by])

    def lpush(self, key: str, value: str | bytes, keep: int) -> None:
        self._ops.append(["lpush", self._k(key), _text(value), keep])

    def zadd(self, key: str, score: float, member: str) -> None:
        self._ops.append(["zadd", self._k(key), repr(float(score)), member])

    def zrem(self, key: str, member: str) -> None:
        self._ops.append(["zrem", self._k(key), member])

    def zcut(self, key: str, max_score: float) -> None:
        self._ops.append(["zcut", self._k(key), repr(float(max_score))])

    @property
    def empty(self) -> bool:
        return not self._ops

    def keys(self) -> list[str]:
        return self._keys

    def message_args(self, keys: list[str], index: dict[str, int]) -> list[Arg]:
        """This message's ARGV triple for a run; adds the keys it names to the run's KEYS."""
        if not self._ops:
            return [self.offset, self.event_id, ""]
        keymap = []
        for key in self._keys:
            found = index.get(key)
            if found is None:
                keys.append(key)
                found = index[key] = len(keys)
            keymap.append(found)
        return [self.offset, self.event_id, orjson.dumps([keymap, self._ops])]


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
