"""The scorer's consumer loop: getmany -> apply (one pipeline) -> publish outbox -> commit.

Offsets: Valkey's stored offset per partition is the truth; on assignment the consumer seeks
to it and re-reads that last applied message to check the log is still the one the offset
came from (`log_check`), so Kafka's committed offset is only a hint (kept current for lag
monitoring). A resume that failed (Valkey unreachable) is retried before the next batch:
consuming on from wherever the consumer stands would skip what the failed batch held.
Kafka offsets are committed only for what the pipeline applied, at most once a second (they
are a hint, so batching them costs nothing in safety). Outbox messages are published in the
background while the next batch is applied: they are durable in Valkey already, and a
failed publish leaves them there for the next flush.

Poison: with `dead_letters`, a message that cannot be decoded or whose handler raises is
parked on the events dead-letter topic (with its raw record and reason) before its offset
passes, inside `apply_batch`; the partition moves on.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import IllegalStateError, KafkaError
from aiokafka.structs import ConsumerRecord

from leadpulse.kernel.fetch import Contiguous
from leadpulse.kernel.valkey import Valkey
from leadpulse.kernel.wire import Envelope, read_envelope
from scorer.core.config import Rules
from scorer.core.effects import Outbound
from scorer.metrics import BATCH_SECONDS, CONFLICTS, MESSAGES, OUTBOX_FAILURES
from scorer.predict.refresh import refresh as refresh_models
from scorer.read.accounts import AccountDirectory, read_lost_accounts
from scorer.runtime.batch import Message, Park, PartitionResult, apply_batch, read_stored_offset
from scorer.runtime.dead_letters import DeadLetters
from scorer.runtime.errors import PoisonMessage
from scorer.runtime.lead_cache import LeadCache
from scorer.runtime.log_check import LogCheck
from scorer.runtime.outbox import Outbox
from scorer.runtime.sla import fire_due_timers
from scorer.storage.scripts import Scripts

__all__ = ["ScorerLoop", "decode_message"]

log = structlog.get_logger("scorer.runtime.consumer")


def decode_message(key: bytes | None, value: bytes | None) -> tuple[str, Envelope | None]:
    """(Kafka key, envelope); an unreadable message decodes to None and is skipped."""
    try:
        event = read_envelope(value or b"")
    except ValueError:
        event = None
    if key:
        return key.decode(errors="replace"), event
    if event is not None and event.identity.keys():
        return event.key, event
    return "", event


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, loop: ScorerLoop) -> None:
        self._loop = loop

    async def on_partitions_revoked(self, revoked: Any) -> None:
        await self._loop.commit_applied([tp for tp in revoked])
        self._loop.forget_cached([tp.partition for tp in revoked])
        self._loop.log_check.forget(list(revoked))

    async def on_partitions_assigned(self, assigned: Any) -> None:
        try:
            await self._loop.resume_from_valkey(list(assigned))
        except Exception as exc:  # noqa: BLE001 - retried before the next batch (step)
            log.warning("resume_failed", error=type(exc).__name__)


class ScorerLoop:
    """Consumes the events topic as part of a group, or from assigned partitions (rescore)."""

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        redis: Valkey,
        outbox: Outbox,
        scripts: Scripts,
        rules: Rules,
        *,
        sla_tick_seconds: float = 5.0,
        commit_every_seconds: float = 1.0,
        clock: Callable[[], float] = time.time,
        cache: LeadCache | None = None,
        dead_letters: DeadLetters | None = None,
    ) -> None:
        self.consumer = consumer
        self._dead_letters = dead_letters
        self._redis = redis
        self._outbox = outbox
        self._scripts = scripts
        self._rules = rules
        self._tick = sla_tick_seconds
        self._commit_every = commit_every_seconds
        self._clock = clock
        self._cache = cache if cache is not None else LeadCache()
        self._lost_accounts: dict[str, float] = {}
        self._accounts = AccountDirectory()
        self._next_tick = 0.0
        self._applied: dict[TopicPartition, int] = {}
        self._dirty: set[int] = set()
        self._publishing: set[asyncio.Task[None]] = set()
        self._next_commit = 0.0
        self.listener = _Rebalance(self)
        # No record past a hole in a partition's offsets (see `leadpulse.kernel.fetch`).
        self.fetch = Contiguous(consumer)
        self.log_check = LogCheck(consumer, redis, scripts, self.fetch)
        self.events_applied = 0
        self._resume_due = False

    @property
    def redis(self) -> Any:
        return self._redis

    @property
    def partitions(self) -> set[TopicPartition]:
        return set(self.consumer.assignment())

    async def resume_from_valkey(self, partitions: list[TopicPartition]) -> None:
        """Seek each partition to its stored offset (checked, then skipped: `log_check`)
        and publish what its outbox holds. Until this succeeds no batch is consumed."""
        self._resume_due = True
        self.forget_cached([tp.partition for tp in partitions])
        for tp in partitions:
            stored = await self.log_check.resume(tp)
            self._dirty.add(tp.partition)
            log.info("partition_resumed", partition=tp.partition, offset=stored + 1)
        self._resume_due = False
        await self._flush_dirty()

    def resume_before_next_batch(self) -> None:
        """After a failed batch: the next step first resumes every partition from Valkey."""
        self._resume_due = True

    def _log_replaced(self, partition: int) -> None:
        """The partition's log was replaced: what this process knew of it is void."""
        self.forget_cached([partition])
        for tp in [tp for tp in self._applied if tp.partition == partition]:
            del self._applied[tp]

    def forget_cached(self, partitions: list[int]) -> None:
        """Drop in-memory lead states of partitions that change hands (memory, not safety)."""
        self._cache.drop(partitions)

    async def drain(self) -> None:
        """Wait for every background outbox publish to finish (before a commit or a stop)."""
        if self._publishing:
            await asyncio.gather(*self._publishing, return_exceptions=True)

    def _publish_later(self, partition: int, messages: list[Outbound]) -> None:
        if not messages:
            return
        task = asyncio.create_task(self._outbox.publish(partition, messages))
        self._publishing.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self._publishing.discard(finished)
            if not finished.cancelled() and finished.exception() is not None:
                OUTBOX_FAILURES.inc()
                self._dirty.add(partition)
                error = type(finished.exception()).__name__
                log.warning("outbox_publish_failed", partition=partition, error=error)

        task.add_done_callback(done)

    async def commit_applied(self, partitions: list[TopicPartition] | None = None) -> None:
        await self.drain()
        offsets = {
            tp: offset + 1
            for tp, offset in self._applied.items()
            if partitions is None or tp in partitions
        }
        if not offsets:
            return
        try:
            await self.consumer.commit(offsets)
        except (KafkaError, IllegalStateError) as exc:
            # Only a hint: the next owner seeks to Valkey's stored offset anyway.
            log.warning("offset_commit_failed", error=type(exc).__name__)
        for tp in offsets:
            self._applied.pop(tp, None)

    async def _flush_dirty(self) -> None:
        # A publish still in flight has not yet deleted its messages from the outbox:
        # reading the outbox now would send them a second time.
        await self.drain()
        for partition in sorted(self._dirty):
            try:
                await self._outbox.flush(partition)
                self._dirty.discard(partition)
            except (TimeoutError, KafkaError, OSError) as exc:
                OUTBOX_FAILURES.inc()
                log.warning("outbox_flush_failed", partition=partition, error=type(exc).__name__)

    async def _after_batch(self, topic: str, results: dict[int, PartitionResult]) -> None:
        for partition, result in results.items():
            tp = TopicPartition(topic, partition)
            for outcome, n in result.outcomes.items():
                MESSAGES.labels(outcome).inc(n)
            if result.outcomes["unreadable"]:
                # Parked by moving on: the offset advances, the count says how many.
                log.warning(
                    "messages_unreadable", partition=partition, count=result.outcomes["unreadable"]
                )
            if result.last_applied is not None:
                self._applied[tp] = result.last_applied
                self.events_applied += result.outcomes["applied"]
            if result.conflict:
                CONFLICTS.inc()
                self._dirty.add(partition)
                stored = await read_stored_offset(self._redis, partition)
                log.warning("offset_conflict", partition=partition, stored=stored)
                # No longer ours (IllegalStateError): the new owner resumes from Valkey.
                with contextlib.suppress(IllegalStateError):
                    self.consumer.seek(tp, stored + 1)
                    self.fetch.expect(tp, stored + 1)
                self.log_check.seeked(tp)
                continue
            self._publish_later(partition, result.outbound)

    async def step(self, timeout_ms: int = 500, max_records: int = 1000) -> int:
        """One getmany() batch; returns how many records it held."""
        if self._resume_due:
            await self.resume_from_valkey(sorted(self.partitions))
        records = await self.fetch.getmany(timeout_ms=timeout_ms, max_records=max_records)
        count = 0
        started = time.perf_counter()
        batches: dict[int, list[Message]] = {}
        for tp, items in records.items():
            batches[tp.partition] = [
                Message(r.offset, *decode_message(r.key, r.value)) for r in items
            ]
            count += len(items)
        for partition in await self.log_check.screen(records, batches):
            self._log_replaced(partition)
        batches = {p: messages for p, messages in batches.items() if messages}
        if batches:
            topic = next(iter(records)).topic
            await refresh_models(self._redis, names=self._rules.predict.names)
            results = await apply_batch(
                self._redis,
                self._scripts,
                self._rules,
                batches,
                self._cache,
                self._lost_accounts,
                self._accounts.entries,
                park=self._parker(records),
            )
            await self._after_batch(topic, results)
            BATCH_SECONDS.observe(time.perf_counter() - started)
        if self._applied and time.monotonic() >= self._next_commit:
            self._next_commit = time.monotonic() + self._commit_every
            await self.commit_applied(None)
        if self._dirty:
            await self.drain()
            await self._flush_dirty()
        await self._maybe_tick()
        return count

    def _parker(self, records: dict[TopicPartition, list[ConsumerRecord[Any, Any]]]) -> Park | None:
        """Parks a poison message of this batch with its raw record (None: no DLQ)."""
        dead_letters = self._dead_letters
        if dead_letters is None:
            return None
        raw = {(tp.partition, r.offset): r for tp, items in records.items() for r in items}

        async def park(poison: PoisonMessage) -> None:
            await dead_letters.park(raw[poison.partition, poison.offset], poison)

        return park

    async def _maybe_tick(self) -> None:
        now = self._clock()
        if self._tick <= 0 or now < self._next_tick:
            return
        self._next_tick = now + self._tick
        await self.tick(now)

    async def tick(self, now: float) -> int:
        """Fire every due SLA timer of the partitions this consumer holds; re-read which
        accounts lost a deal (their people's visits are counted from then on)."""
        self._lost_accounts = await read_lost_accounts(self._redis)
        await self._accounts.refresh(self._redis)
        fired = 0
        for tp in sorted(self.partitions, key=lambda tp: tp.partition):
            messages = await fire_due_timers(
                self._redis, self._scripts, self._rules, tp.partition, now
            )
            fired += len(messages)
            self._publish_later(tp.partition, messages)
        return fired
