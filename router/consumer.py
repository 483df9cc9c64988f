"""The consumer loop: alerts topic -> AlertDelivery, offsets committed only when done.

Alerts are handled concurrently (up to `max_in_flight`), so one destination in backoff
does not hold up every other alert; a partition's offset advances past an alert only once
all its destinations are delivered or dead-lettered (see OffsetTracker).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import orjson
import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord
from pydantic import ValidationError

from leadpulse.kernel.errors import AlreadyStarted
from leadpulse.kernel.fetch import Contiguous
from leadpulse.kernel.lifecycle import StopRequested, unless_stopped
from leadpulse.kernel.schema import Alert, decode
from leadpulse.kernel.settings import Settings
from router import metrics
from router.delivery import Abandoned
from router.offsets import OffsetTracker
from router.rebalance import LetGoOnRevoke, commit_revoked, commit_settled

__all__ = ["AlertConsumer"]

log = structlog.get_logger(__name__)

Deliver = Callable[[Alert], Awaitable[None]]

_HANDLING_RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)


class AlertConsumer:
    def __init__(
        self,
        settings: Settings,
        deliver: Deliver,
        stop: asyncio.Event,
        *,
        max_in_flight: int = 256,
        drain_seconds: float = 10.0,
    ) -> None:
        self._settings = settings
        self._deliver = deliver
        self._stop = stop
        self._max_in_flight = max_in_flight
        self._drain_seconds = drain_seconds
        self._tracker: OffsetTracker[TopicPartition] = OffsetTracker()
        self._tasks: dict[asyncio.Task[None], TopicPartition] = {}
        self._last_by_key: dict[bytes, asyncio.Task[None]] = {}
        self._consumer: AIOKafkaConsumer | None = None
        self._fetch: Contiguous | None = None
        self._started = False

    @property
    def holds_partitions(self) -> bool:
        return self._consumer is not None and bool(self._consumer.assignment())

    async def run(self) -> None:
        """Consume until `stop` is set; then stop intake, drain, commit, close."""
        if self._started:
            raise AlreadyStarted("AlertConsumer was started before")
        self._started = True
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._settings.kafka_bootstrap,
            group_id=self._settings.router_group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self._max_in_flight,
            # Alerts are few and each waits for a person: do not let the broker sit on them.
            fetch_max_wait_ms=50,
        )
        self._consumer = consumer
        # No record past a hole in a partition's offsets (see `leadpulse.kernel.fetch`).
        self._fetch = fetch = Contiguous(consumer)
        listener = LetGoOnRevoke(self, "partitions_assigned")
        consumer.subscribe([self._settings.topics.alerts], listener=listener)
        try:
            await unless_stopped(consumer.start(), self._stop)
            while not self._stop.is_set():
                await self._make_room()
                batch = await fetch.getmany(timeout_ms=200)
                for tp, records in batch.items():
                    for record in records:
                        self._start(tp, record)
                await self._commit()
            log.info("router_draining", in_flight=len(self._tasks))
            await self._drain(set(self._tasks), self._drain_seconds)
            await self._commit()
        except StopRequested:
            return  # stopped while joining the group: nothing was taken
        finally:
            await consumer.stop()
            self._consumer = None

    async def _make_room(self) -> None:
        while len(self._tasks) >= self._max_in_flight and not self._stop.is_set():
            await asyncio.wait(set(self._tasks), timeout=0.5, return_when=asyncio.FIRST_COMPLETED)

    def _start(self, tp: TopicPartition, record: ConsumerRecord[bytes, bytes]) -> None:
        self._tracker.started(tp, record.offset)
        # Alerts of one lead go out in order (the throttle keeps the first): chain them.
        key = record.key
        before = self._last_by_key.get(key) if key is not None else None
        name = f"alert-{tp.partition}-{record.offset}"
        task = asyncio.create_task(self._handle(record, before), name=name)
        self._tasks[task] = tp
        if key is not None:
            self._last_by_key[key] = task
        task.add_done_callback(lambda done: self._finished(done, tp, record.offset, key))

    def _finished(
        self, task: asyncio.Task[None], tp: TopicPartition, offset: int, key: bytes | None
    ) -> None:
        self._tasks.pop(task, None)
        if key is not None and self._last_by_key.get(key) is task:
            del self._last_by_key[key]
        if task.cancelled():
            return
        error = task.exception()
        if error is None:
            self._tracker.finished(tp, offset)
        elif not isinstance(error, Abandoned):
            log.error("alert_task_failed", partition=tp.partition, offset=offset, exc_info=error)

    async def _handle(
        self, record: ConsumerRecord[bytes, bytes], before: asyncio.Task[None] | None
    ) -> None:
        if before is not None:
            await asyncio.wait([before])
        try:
            alert = decode(Alert, record.value or b"")
        except (ValidationError, orjson.JSONDecodeError) as exc:
            # Nothing could ever deliver it: count it, name where it is, and move on.
            metrics.ALERTS_UNREADABLE.inc()
            # No traceback: a validation error would echo the message, PII included.
            log.error(  # noqa: TRY400
                "alert_unreadable",
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
                error=type(exc).__name__,
            )
            return
        structlog.contextvars.bind_contextvars(alert_id=alert.alert_id)
        failures = 0
        while True:
            try:
                await self._deliver(alert)
            except Abandoned:
                raise
            except Exception as exc:
                # The offset stays uncommitted while this alert keeps failing.
                metrics.HANDLING_ERRORS.inc()
                log.warning("alert_handling_failed", error=type(exc).__name__, failures=failures)
                delay = _HANDLING_RETRY_SECONDS[min(failures, len(_HANDLING_RETRY_SECONDS) - 1)]
                failures += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=delay)
                if self._stop.is_set():
                    raise Abandoned from exc
            else:
                return

    async def _drain(self, tasks: set[asyncio.Task[None]], deadline: float) -> None:
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=deadline)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late)
            log.warning("router_drain_deadline", abandoned=len(late))

    async def _commit(self) -> None:
        await commit_settled(self._consumer, self._tracker)

    async def let_go(self, revoked: set[TopicPartition]) -> None:
        """On revoke: finish what those partitions have in flight (deadline), commit, forget."""
        if self._fetch is not None:
            self._fetch.forget(list(revoked))
        tasks = {task for task, tp in self._tasks.items() if tp in revoked}
        await self._drain(tasks, self._drain_seconds)
        await commit_revoked(self._consumer, self._tracker, revoked, "commit_on_revoke_failed")
