"""The effects of a run of messages, as the op list `lua/apply.lua` executes atomically.

A run's messages are applied in one script call, all or nothing, so only each key's final
state matters: ops are coalesced per key as they are recorded (the last SET of a lead wins,
counter increments add up, pushes to one list become one LPUSH, a sorted set's adds and
removals become one ZREM and one ZADD, each member's last op winning). Ops on different
keys commute, so the order between keys is free; the order on one key is kept.
"""

from __future__ import annotations

import struct

import orjson

from scorer.storage.keys import PartitionKeys

__all__ = ["OP", "OPCODES", "WriteSet"]

# An op in apply.lua's header: opcode, index of its key in KEYS, how many values follow.
OP = struct.Struct(">BII")
OPCODES = {
    name: code
    for code, name in enumerate(
        ("set", "del", "hset", "hdel", "hincr", "lpush", "zadd", "zrem", "zcut"), start=1
    )
}

Arg = str | bytes | int | float
Op = list[str | bytes | int | float]


class _KeyOps:
    """What a run does to one key, reduced to its net effect."""

    __slots__ = ("deleted", "fields", "increments", "keep", "members", "pushes", "value", "zops")

    def __init__(self) -> None:
        self.deleted = False
        self.value: str | bytes | None = None  # a SET's value: bytes are sent as they are
        # field -> final hset value, or None for hdel
        self.fields: dict[str, str | bytes | None] = {}
        # field -> increment applied after the field's hset/hdel (if any)
        self.increments: dict[str, int] = {}
        self.pushes: list[str | bytes] = []
        self.keep = 0
        # sorted-set member -> its final score, or None for removed, since the last zcut
        # (whose result depends on every score); `zops`: the ops up to and with that zcut
        self.members: dict[str, float | None] = {}
        self.zops: list[Op] = []

    def reset(self, deleted: bool) -> None:
        self.deleted = deleted
        self.value = None
        self.fields = {}
        self.increments = {}
        self.pushes = []
        self.members = {}
        self.zops = []

    def cut(self, max_score: str) -> None:
        """A zcut: the members' ops so far go before it, those after it after."""
        self.zops += self._member_ops(0)
        self.zops.append(["zcut", 0, max_score])
        self.members = {}

    def _member_ops(self, k: int) -> list[Op]:
        removed: Op = ["zrem", k]
        added: Op = ["zadd", k]
        for member, score in self.members.items():
            if score is None:
                removed.append(member)
            else:
                added += [repr(score), member]
        return [op for op in (removed, added) if len(op) > 2]

    def emit(self, k: int, ops: list[Op]) -> None:
        """The key's ops but its DEL and SET, which `WriteSet.ops` gathers."""
        if self.fields:
            hset: Op = ["hset", k]
            hdel: Op = ["hdel", k]
            for field, value in self.fields.items():
                if value is None:
                    hdel.append(field)
                else:
                    hset += [field, value]
            if len(hdel) > 2:
                ops.append(hdel)
            if len(hset) > 2:
                ops.append(hset)
        for field, by in self.increments.items():
            if by:
                ops.append(["hincr", k, field, by])
        if self.pushes:
            ops.append(["lpush", k, self.keep, *self.pushes])
        if self.zops:
            ops += self.zops
        if self.members:
            ops += self._member_ops(k)


class WriteSet:
    """Coalesced ops on one partition's keys for a run of messages, plus their offsets.

    `note` records each message of the run (its offset, and the event id the partition's
    dedupe set remembers); `script_args` gives the run's apply.lua call.
    """

    __slots__ = ("_keys", "event_ids", "last_id", "offset", "pk")

    def __init__(self, pk: PartitionKeys) -> None:
        self.pk = pk
        self.offset = -1
        self.event_ids: list[tuple[int, str]] = []
        # the event id of the message at `offset` ("" when it had none): the log's mark
        self.last_id = ""
        self._keys: dict[str, _KeyOps] = {}

    def note(self, offset: int, event_id: str | None, *, dedupe: bool = True) -> None:
        """A message of the run: the stored offset moves to it; its id is remembered, in the
        dedupe set too unless `dedupe` is False (an event passed on unapplied)."""
        self.offset = offset
        self.last_id = event_id or ""
        if event_id and dedupe:
            self.event_ids.append((offset, event_id))

    def remember(self, offset: int, message_id: str) -> None:
        """Put another id of the message at `offset` in the dedupe set."""
        self.event_ids.append((offset, message_id))

    def _on(self, key: str) -> _KeyOps:
        return self._keys.get(key) or self._new(key)

    def _new(self, key: str) -> _KeyOps:
        ops = self._keys[key] = _KeyOps()
        return ops

    def set(self, key: str, value: str | bytes) -> None:
        ops = self._keys.get(key)
        if ops is None:
            ops = self._keys[key] = _KeyOps()
        else:
            ops.reset(deleted=False)
        ops.value = value

    def delete(self, key: str) -> None:
        self._on(key).reset(deleted=True)

    # hset, hincr, lpush and zadd look the key up themselves: several are recorded per
    # event, and a call to `_on` each was a frame more per op.
    def hset(self, key: str, field: str, value: str | bytes) -> None:
        ops = self._keys.get(key) or self._new(key)
        ops.fields[field] = value
        ops.increments.pop(field, None)

    def hdel(self, key: str, field: str) -> None:
        ops = self._on(key)
        ops.fields[field] = None
        ops.increments.pop(field, None)

    def hincr(self, key: str, field: str, by: int) -> None:
        increments = (self._keys.get(key) or self._new(key)).increments
        increments[field] = increments.get(field, 0) + by

    def lpush(self, key: str, value: str | bytes, keep: int) -> None:
        ops = self._keys.get(key) or self._new(key)
        ops.pushes.append(value)
        ops.keep = keep
        if len(ops.pushes) > 2 * keep:
            del ops.pushes[:-keep]  # trimmed away by the LTRIM after the push anyway

    def zadd(self, key: str, score: float, member: str) -> None:
        (self._keys.get(key) or self._new(key)).members[member] = float(score)

    def zrem(self, key: str, member: str) -> None:
        self._on(key).members[member] = None

    def zcut(self, key: str, max_score: float) -> None:
        self._on(key).cut(repr(float(max_score)))

    def ops(self) -> tuple[list[str], list[Op]]:
        """(KEYS, ops) of the run: KEYS[1] offset, KEYS[2] seen, then each key named once.

        Every DEL comes first and every SET last, each group together: a key's DEL comes
        before anything else of it, and a key set holds nothing else, so each key's order
        holds, and apply.lua sends each group as one DEL and one MSET."""
        keys = [self.pk.offset, self.pk.seen]
        deletes: list[Op] = []
        ops: list[Op] = []
        sets: list[Op] = []
        for key, key_ops in self._keys.items():
            keys.append(key)
            k = len(keys)
            if key_ops.deleted:
                deletes.append(["del", k])
            if key_ops.value is not None:
                sets.append(["set", k, key_ops.value])
            for z in key_ops.zops:
                z[1] = k
            key_ops.emit(k, ops)
        return keys, deletes + ops + sets

    def script_args(
        self, expected: int, dedupe_window: int, mark: str = ""
    ) -> tuple[list[str], list[Arg]]:
        """(KEYS, ARGV) of this run's apply.lua call; `mark` (the run's last offset and event
        id) is stored under the partition's mark key, added as the last KEYS entry.

        The ops' opcodes, key indexes and value counts go packed in one argument (`OP`, 9
        bytes each), their values each as its own argument: Valkey pays about as much per
        argument as per kilobyte. Values are never JSON inside JSON: a lead's state is sent
        as it is, not escaped into a list, and the script reads it without decoding."""
        keys, ops = self.ops()
        seen: list[int | str] = []
        for offset, event_id in self.event_ids:
            seen += [offset, event_id]
        header = bytearray()
        values: list[Arg] = []
        for op in ops:
            header += OP.pack(OPCODES[str(op[0])], op[1], len(op) - 2)
            values += op[2:]
        args: list[Arg] = [
            expected,
            dedupe_window,
            self.offset,
            orjson.dumps(seen),
            mark,
            bytes(header),
            *values,
        ]
        if mark:
            keys.append(self.pk.mark)
        return keys, args
