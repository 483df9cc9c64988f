"""The lead-changes topic -> every CRM connector; offsets commit once each write is done.

Its own consumer group (`<router group>-crm`), so alert delivery never waits behind a
rate-limited CRM. A read is settled when every connector wrote it, found it written
already, or dead-lettered it; a partition's offset moves past a read only then
(`OffsetTracker`), so a crash redelivers what was not settled, and the write records make
sure a redelivered change is not written again.
"""

from __future__ import annotations

import asyncio

import orjson
import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord
from pydantic import ValidationError

from leadpulse.kernel.fetch import Contiguous
from leadpulse.kernel.lead_change import LeadChange
from leadpulse.kernel.lifecycle import StopRequested, unless_stopped
from leadpulse.kernel.schema import decode
from leadpulse.kernel.settings import Settings
from router import metrics
from router.crm.types import Token
from router.crm.worker import ConnectorWorker
from router.offsets import OffsetTracker
from router.rebalance import LetGoOnRevoke, commit_revoked, commit_settled

__all__ = ["LeadChangeConsumer", "crm_group"]

log = structlog.get_logger(__name__)


def crm_group(settings: Settings) -> str:
    return f"{settings.router_group}-crm"


class LeadChangeConsumer:
    def __init__(
        self,
        settings: Settings,
        workers: list[ConnectorWorker],
        stop: asyncio.Event,
        *,
        max_unsettled: int = 20_000,
    ) -> None:
        self._settings = settings
        self._workers = workers
        self._stop = stop
        self._max_unsettled = max_unsettled
        self._tracker: OffsetTracker[TopicPartition] = OffsetTracker()
        self._remaining: dict[Token, int] = {}
        self._consumer: AIOKafkaConsumer | None = None
        self._fetch: Contiguous | None = None

    @property
    def holds_partitions(self) -> bool:
        return self._consumer is not None and bool(self._consumer.assignment())

    def settle(self, token: Token) -> None:
        """One connector is done with the read `token` (a (partition, offset) pair)."""
        left = self._remaining.get(token)
        if left is None:
            return  # its partition was revoked meanwhile
        if left > 1:
            self._remaining[token] = left - 1
            return
        del self._remaining[token]
        tp, offset = token
        self._tracker.finished(tp, offset)

    async def run(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._settings.kafka_bootstrap,
            group_id=crm_group(self._settings),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=1000,
        )
        self._consumer = consumer
        # No record past a hole in a partition's offsets (see `leadpulse.kernel.fetch`).
        self._fetch = fetch = Contiguous(consumer)
        listener = LetGoOnRevoke(self, "crm_partitions_assigned")
        consumer.subscribe([self._settings.topics.lead_changes], listener=listener)
        try:
            await unless_stopped(consumer.start(), self._stop)
            while not self._stop.is_set():
                if len(self._remaining) >= self._max_unsettled:
                    # The CRMs are behind (rate limits): stop reading until they catch up.
                    await asyncio.sleep(0.1)
                    await self._commit()
                    continue
                batch = await fetch.getmany(timeout_ms=200)
                for tp, records in batch.items():
                    for record in records:
                        self._offer(tp, record)
                await self._commit()
            await self._commit()
        except StopRequested:
            return  # stopped while joining the group: nothing was taken
        finally:
            await consumer.stop()
            self._consumer = None

    def _offer(self, tp: TopicPartition, record: ConsumerRecord[bytes, bytes]) -> None:
        self._tracker.started(tp, record.offset)
        try:
            change = decode(LeadChange, record.value or b"")
        except (ValidationError, orjson.JSONDecodeError) as exc:
            metrics.ALERTS_UNREADABLE.inc()
            log.error(  # noqa: TRY400 - a traceback would echo the message, email included
                "lead_change_unreadable",
                partition=record.partition,
                offset=record.offset,
                error=type(exc).__name__,
            )
            self._tracker.finished(tp, record.offset)
            return
        token = (tp, record.offset)
        self._remaining[token] = len(self._workers)
        for worker in self._workers:
            worker.offer(change, token)

    async def _commit(self) -> None:
        await commit_settled(self._consumer, self._tracker)

    async def let_go(self, revoked: set[TopicPartition]) -> None:
        """On revoke: commit what is settled and forget the rest (its next owner reads it)."""
        if self._fetch is not None:
            self._fetch.forget(list(revoked))
        await commit_revoked(self._consumer, self._tracker, revoked, "crm_commit_on_revoke_failed")
        for token in [t for t in self._remaining if t[0] in revoked]:
            del self._remaining[token]
