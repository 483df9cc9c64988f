"""Hand events to Kafka, or to the local spool when the broker cannot take them.

`publish_many` returns only once every event is acked by the broker (acks=all) or fsynced
in the spool; otherwise it raises `PublishUnavailable`, which the edge answers 503 with
Retry-After. Once a send fails, the publisher stops trying the broker per request and
spools everything (so answers stay fast and order is kept); a replayer probes the broker
with the spool's oldest events and drains it in order, and only when the spool is empty
do requests go straight to the broker again.

An event is never both sent and spooled: only sends whose outcome is a failure are
spooled, so a broker that comes back does not get the same event twice from us.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.partitioner import murmur2

from ingest.errors import PublishUnavailable
from ingest.metrics import PUBLISH_LATENCY, PUBLISH_OUTCOMES, SPOOL_REPLAYED
from ingest.outgoing import Outgoing
from ingest.spool import Record, Spool
from leadpulse.kernel.kafka import ensure_topics, producer_options
from leadpulse.kernel.lifecycle import Lifecycle
from leadpulse.kernel.schema import EventEnvelope
from leadpulse.kernel.settings import Settings

__all__ = ["Publisher"]

log = structlog.get_logger(__name__)

# A send to a dead broker fails after this long; later requests go to the spool at once.
_SEND_TIMEOUT_MS = 5_000
_REPLAY_BATCH = 500
_BACKOFF_MIN = 0.2
_BACKOFF_MAX = 3.0
_STOP_DEADLINE = 10.0
_TOPIC_CHECK_SECONDS = 5.0


@lru_cache(maxsize=65_536)
def _partition_for(key: bytes, count: int) -> int:
    """The producer's default choice for a key among partitions 0..count-1 (murmur2, as
    Java clients do), remembered: people come back, and pure-Python murmur2 is not cheap."""
    hashed: int = murmur2(key)
    return (hashed & 0x7FFFFFFF) % count


def _digest(value: bytes) -> bytes:
    return hashlib.blake2b(value, digest_size=16).digest()


class Publisher(Lifecycle):
    """Durable publishing to the events topic. `start()` once; `stop()` is idempotent."""

    def __init__(
        self, settings: Settings, producer_overrides: dict[str, Any] | None = None
    ) -> None:
        self._settings = settings
        self._topic = settings.topics.events
        options = producer_options(settings, linger_ms=1) | {
            "request_timeout_ms": _SEND_TIMEOUT_MS,
            "client_id": "leadpulse-ingest",
        }
        self._options = options | (producer_overrides or {})
        self._producer: AIOKafkaProducer | None = None
        self._producer_started = False
        self._spool = Spool(settings.spool_path, settings.spool_max_bytes)
        self._direct = False
        self._replayer: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        # Replayed records already acked but not yet committed (they follow a failed one).
        self._acked_ahead: set[bytes] = set()

    @property
    def spool(self) -> Spool:
        return self._spool

    @property
    def direct(self) -> bool:
        """Whether requests currently go straight to the broker (it is up, the spool empty)."""
        return self._direct

    async def _start(self) -> None:
        self._spool.open()
        await self._start_producer()
        self._direct = self._producer_started and self._spool.empty
        self._replayer = asyncio.create_task(self._replay_loop(), name="spool-replayer")
        self._replayer.add_done_callback(self._replayer_died)

    def _replayer_died(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("spool_replayer_crashed", error=repr(task.exception()))

    async def _start_producer(self) -> bool:
        if self._producer_started:
            return True
        producer = AIOKafkaProducer(**self._options)
        try:
            await producer.start()
        except KafkaError as exc:
            log.warning("broker_unreachable", error=type(exc).__name__)
            with contextlib.suppress(Exception):
                await producer.stop()
            return False
        self._producer = producer
        self._producer_started = True
        return True

    async def publish(self, event: EventEnvelope) -> None:
        await self.publish_many([Outgoing.of(event)])

    async def publish_many(self, events: Sequence[Outgoing]) -> None:
        """Make every event durable (broker ack or spool fsync), or raise PublishUnavailable."""
        if not events:
            return
        if self._stopping.is_set():
            raise PublishUnavailable("ingest is shutting down")
        records: list[Record] = [(event.keys[0].encode(), event.value) for event in events]
        started = time.perf_counter()
        if self._direct and self._producer is not None:
            failed_at = await self._send(records)
            if not failed_at:
                PUBLISH_LATENCY.labels("broker").observe(time.perf_counter() - started)
                PUBLISH_OUTCOMES.labels("broker").inc(len(records))
                return
            if self._direct:
                self._direct = False
                log.warning("broker_send_failed_spooling", events=len(failed_at))
            PUBLISH_OUTCOMES.labels("broker").inc(len(records) - len(failed_at))
            records = [records[index] for index in failed_at]
        await self._spool.append(records)
        PUBLISH_LATENCY.labels("spool").observe(time.perf_counter() - started)
        PUBLISH_OUTCOMES.labels("spool").inc(len(records))

    async def _send(self, records: list[Record]) -> list[int]:
        """Send and wait for acks; return the indexes of the records whose send failed."""
        producer = self._producer
        assert producer is not None
        cluster = producer.client.cluster
        futures: list[asyncio.Future[Any] | None] = []
        for key, value in records:
            # Read right before the send, which checks the partition against the same data.
            partitions = cluster.partitions_for_topic(self._topic)
            partition = _partition_for(key, len(partitions)) if partitions else None
            if partition not in (partitions or ()):
                partition = None  # the producer waits for metadata and picks it itself
            try:
                futures.append(
                    await producer.send(self._topic, value, key=key, partition=partition)
                )
            except KafkaError:
                futures.append(None)
        # One by one, not gathered: a batch acks all its records at once, so after the
        # first of a batch the others are already done and cost no wake-up each.
        failed: list[int] = []
        for index, future in enumerate(futures):
            if future is None:
                failed.append(index)
                continue
            try:
                await future
            except (KafkaError, TimeoutError):
                failed.append(index)
        return failed

    async def _replay_loop(self) -> None:
        backoff = _BACKOFF_MIN
        while not self._stopping.is_set():
            if self._spool.empty and self._producer_started:
                self._direct = True
                self._spool.appended.clear()
                if self._spool.empty:
                    await self._until(self._spool.appended.wait(), None)
                continue
            try:
                delivered = await self._replay_once()
            except Exception:  # one bad round (logged) must not end replay for good
                log.exception("spool_replay_failed")
                delivered = False
            if delivered:
                backoff = _BACKOFF_MIN
                continue
            await self._until(self._stopping.wait(), backoff)
            backoff = min(backoff * 2, _BACKOFF_MAX)

    async def _until(self, awaitable: Any, seconds: float | None) -> None:
        """Wait for `awaitable`, the stop signal, or `seconds`, whichever comes first."""
        waiter = asyncio.ensure_future(awaitable)
        stopper = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait(
                {waiter, stopper}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for task in (waiter, stopper):
                task.cancel()

    async def _replay_once(self) -> bool:
        """Deliver the spool's oldest batch; True if it all went (or nothing was waiting).

        The spool commits a prefix, so a batch where some partitions failed (a broker just
        back, its leaders not all ready) commits up to the first failure; the records acked
        after it are remembered, and the next round sends only what is still missing.
        """
        if not await self._start_producer() or not await self._topic_exists():
            return False
        records = await asyncio.to_thread(self._spool.read, _REPLAY_BATCH)
        if not records:
            return True
        digests = [_digest(value) for _, value in records]
        pending = [i for i, digest in enumerate(digests) if digest not in self._acked_ahead]
        failed = {pending[i] for i in await self._send([records[i] for i in pending])}
        delivered = min(failed) if failed else len(records)
        for index in range(delivered, len(records)):
            if index not in failed:
                self._acked_ahead.add(digests[index])
        if delivered:
            self._acked_ahead.difference_update(digests[:delivered])
            await asyncio.to_thread(self._spool.commit, delivered)
            SPOOL_REPLAYED.inc(delivered)
            log.info("spool_replayed", events=delivered, waiting=self._spool.events)
        return not failed

    async def _topic_exists(self) -> bool:
        """Make sure the events topic exists before replaying into it.

        A broker that lost its topics (the embedded Tansu keeps them in memory) would
        create one on first produce with its own partition count and drop what was written
        to partitions it did not have: create it our way first.
        """
        assert self._producer is not None
        client = self._producer.client
        try:
            # False when no broker answered: the metadata kept is from before the outage
            # and still lists the topic the restarted broker lost.
            if not await asyncio.wait_for(client.force_metadata_update(), _TOPIC_CHECK_SECONDS):
                return False
            if client.cluster.partitions_for_topic(self._topic):
                return True
            log.warning("events_topic_missing", topic=self._topic)
            await asyncio.wait_for(ensure_topics(self._settings), _TOPIC_CHECK_SECONDS)
            await asyncio.wait_for(client.force_metadata_update(), _TOPIC_CHECK_SECONDS)
        except (KafkaError, OSError, TimeoutError) as exc:
            log.warning("events_topic_check_failed", error=type(exc).__name__)
            return False
        return bool(client.cluster.partitions_for_topic(self._topic))

    async def broker_ready(self) -> bool:
        """Whether the broker answers a metadata request now."""
        if self._producer is None or self._replayer is None or self._replayer.done():
            return False
        try:
            await asyncio.wait_for(self._producer.client.fetch_all_metadata(), 2.0)
        except (KafkaError, TimeoutError):
            return False
        return True

    async def _stop(self) -> None:
        """Stop taking events, let a running replay batch finish, flush, close the spool."""
        self._stopping.set()
        if self._replayer is not None:
            try:
                await asyncio.wait_for(self._replayer, _STOP_DEADLINE)
            except TimeoutError:
                log.warning("spool_replay_stopped_at_deadline", waiting=self._spool.events)
        if self._producer is not None:
            await self._producer.stop()
        await self._spool.close()
        if self._spool.events:
            log.info("spool_kept_for_next_start", events=self._spool.events)
