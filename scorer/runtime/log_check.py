"""Is the log this scorer reads the one Valkey's stored offsets came from?

Valkey keeps each partition's last applied offset across restarts; a log does not always:
the embedded broker keeps nothing, and a topic can be deleted and created again. Seeking
to a stored offset of an old log skips every event of the new one until its offsets pass
the old ones (or, on a broker that answers "out of range", re-reads offsets that apply.lua
drops as already applied).

So on assignment (and whenever a running partition's log shrinks under the consumer or
its offsets go backwards without a seek of ours) a partition is re-read from its stored
offset itself, the last message applied, and the first fetch decides:

- that message comes back and its event id is the one apply.lua recorded with the offset
  (`lp:{pN}:mark`): the same log; it is dropped and consumption goes on (the no-op path
  costs one message per partition and one GET);
- the first message comes back at a later offset: older messages were deleted (retention),
  still the same log;
- the first message comes back at a lower offset (the consumer was reset, out of range),
  or the fetch says the log ends at or before the stored offset, or another event sits at
  that offset: the log was replaced. The stored offset is reset (only if it is still the
  one judged, `lua/log_reset.lua`) and the partition is consumed from its beginning; event
  ids already applied are still deduped by the partition's seen set.

The end offset a ListOffsets request reports is never used: Tansu answers the start of the
last batch, hundreds short of the end. The high watermark of a fetch response is exact.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Literal

import structlog
from aiokafka import TopicPartition

from leadpulse.kernel.fetch import Contiguous
from leadpulse.kernel.valkey import Valkey
from scorer.metrics import LAG, LOG_RESETS
from scorer.runtime.batch import Message
from scorer.storage.keys import PartitionKeys
from scorer.storage.scripts import Scripts

__all__ = ["LogCheck", "Pending", "judge"]

log = structlog.get_logger("scorer.runtime.log_check")

Verdict = Literal["same", "replaced", "wait"]


@dataclass(frozen=True, slots=True)
class Pending:
    stored: int
    event_id: str | None  # recorded with the stored offset; None: not known


def judge(pending: Pending, first: Message | None, highwater: int | None) -> tuple[Verdict, str]:
    """The verdict on a partition re-read from its stored offset, and what was found."""
    if first is None:
        if highwater is not None and highwater <= pending.stored:
            return "replaced", f"log ends at offset {highwater}"
        return "wait", ""
    if first.offset < pending.stored:
        return "replaced", f"log restarts at offset {first.offset}"
    if first.offset > pending.stored:
        return "same", ""
    found = first.event.event_id if first.event is not None else None
    if pending.event_id and found != pending.event_id:
        return "replaced", "another event at the stored offset"
    return "same", ""


def _text(value: Any) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


class LogCheck:
    """Partitions of one consumer waiting for their first fetch to prove their log."""

    def __init__(
        self, consumer: Any, redis: Valkey, scripts: Scripts, fetch: Contiguous | None = None
    ) -> None:
        self._consumer = consumer
        self._fetch = fetch if fetch is not None else Contiguous(consumer)
        self._redis = redis
        self._scripts = scripts
        self._pending: dict[TopicPartition, Pending] = {}
        # next offset to read per partition, as this consumer's fetches moved it
        self._read: dict[TopicPartition, int] = {}
        # where each partition was resumed: its lag before a fetch has moved it
        self._resumed_at: dict[TopicPartition, int] = {}

    @property
    def pending(self) -> bool:
        return bool(self._pending)

    async def resume(self, tp: TopicPartition) -> int:
        """Seek `tp` to where its check starts; return the stored offset (-1: none)."""
        pk = PartitionKeys(tp.partition)
        pipe = self._redis.pipeline(transaction=False)
        pipe.get(pk.offset)
        pipe.get(pk.mark)
        raw, mark = await pipe.execute()
        stored = int(raw) if raw is not None else -1
        self._pending.pop(tp, None)
        self._read.pop(tp, None)
        self._resumed_at[tp] = max(stored, 0)
        if stored < 0:
            self._consumer.seek(tp, 0)
            self._fetch.expect(tp, 0)
            return stored
        offset, _, event_id = (_text(mark) or "").partition(" ")
        known = event_id if offset == str(stored) and event_id else None
        self._pending[tp] = Pending(stored, known)
        self._consumer.seek(tp, stored)
        self._fetch.expect(tp, stored)
        return stored

    def forget(self, partitions: list[TopicPartition]) -> None:
        self._fetch.forget(partitions)
        for tp in partitions:
            self._pending.pop(tp, None)
            self._read.pop(tp, None)
            self._resumed_at.pop(tp, None)
            with contextlib.suppress(KeyError):
                LAG.remove(str(tp.partition))

    def seeked(self, tp: TopicPartition) -> None:
        """The consumer moved `tp` itself: its next offsets say nothing of the log."""
        self._read.pop(tp, None)

    async def screen(
        self, records: dict[TopicPartition, list[Any]], batches: dict[int, list[Message]]
    ) -> list[int]:
        """Watch this fetch and judge the pending partitions on it; return the partitions
        whose log was replaced.

        Their messages leave `batches` (they are read again from the beginning), as do a
        suspect partition's (read again from its stored offset) and the stored message of
        a partition proven the same (it is applied already).
        """
        for tp in await self._suspects(records):
            batches.pop(tp.partition, None)
            await self.resume(tp)
        self._observe_lag()
        replaced: list[int] = []  # one topic per consumer: partitions name its messages
        assigned = self._consumer.assignment()
        for tp, pending in list(self._pending.items()):
            if tp not in assigned:
                continue
            messages = batches.get(tp.partition, [])
            first = messages[0] if messages else None
            verdict, found = judge(pending, first, self._consumer.highwater(tp))
            if verdict == "wait":
                continue
            del self._pending[tp]
            if verdict == "same":
                if messages:
                    batches[tp.partition] = [m for m in messages if m.offset > pending.stored]
                continue
            batches.pop(tp.partition, None)
            if await self._reset(tp, pending, found):
                replaced.append(tp.partition)
            else:
                await self.resume(tp)  # moved on meanwhile: judge the new stored offset
        return replaced

    async def _suspects(self, records: dict[TopicPartition, list[Any]]) -> list[TopicPartition]:
        """Running partitions whose log went backwards (the broker reset the consumer: out of
        range) or now ends before what was read (a fetch's high watermark below it)."""
        suspects: list[TopicPartition] = []
        for tp, items in records.items():
            read = self._read.get(tp)
            if tp not in self._pending and read is not None and items[0].offset < read:
                suspects.append(tp)
            self._read[tp] = items[-1].offset + 1
        for tp in self._consumer.assignment():
            highwater = self._consumer.highwater(tp)
            read = self._read.get(tp)
            stale = highwater is not None and read is not None and highwater < read
            if stale and tp not in self._pending and tp not in suspects:
                suspects.append(tp)
        return suspects

    def _observe_lag(self) -> None:
        """Messages between what was read and the last fetch's high watermark: a fetch
        response's watermark, never a ListOffsets end offset (Tansu answers the start of
        the last batch there); never below 0."""
        for tp in self._consumer.assignment():
            highwater = self._consumer.highwater(tp)
            read = self._read.get(tp, self._resumed_at.get(tp))
            if highwater is not None and read is not None:
                LAG.labels(str(tp.partition)).set(max(0, highwater - read))

    async def _reset(self, tp: TopicPartition, pending: Pending, found: str) -> bool:
        pk = PartitionKeys(tp.partition)
        done = await self._scripts.run(
            self._redis, self._scripts.reset, [pk.offset, pk.seen, pk.mark], [pending.stored]
        )
        if int(done) != 1:
            return False
        LOG_RESETS.inc()
        log.warning(
            "partition_log_reset",
            partition=tp.partition,
            stored_offset=pending.stored,
            found=found,
            action="consuming from the log's beginning; applied event ids stay deduped",
        )
        await self._consumer.seek_to_beginning(tp)
        self._fetch.expect(tp, None)
        self._read.pop(tp, None)
        return True
