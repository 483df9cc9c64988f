"""The CRM side of the router: lead changes -> connector workers, run beside alert delivery."""

from __future__ import annotations

import asyncio

import structlog
from aiokafka import AIOKafkaProducer

from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.settings import Settings
from leadpulse.kernel.valkey import Valkey
from router.crm.consumer import LeadChangeConsumer
from router.crm.dlq import CrmDeadLetters
from router.crm.health import HealthLog
from router.crm.records import WriteRecords
from router.crm.types import Connector
from router.crm.worker import ConnectorWorker

__all__ = ["CrmService"]

log = structlog.get_logger(__name__)


class CrmService:
    """Owns the lead-changes consumer and one worker per connector."""

    def __init__(
        self,
        settings: Settings,
        config: LeadPulseConfig,
        connectors: list[Connector],
        redis: Valkey,
        producer: AIOKafkaProducer,
        stop: asyncio.Event,
    ) -> None:
        dead = CrmDeadLetters(producer, settings.topics.crm_dlq)
        self._consumer: LeadChangeConsumer | None = None
        self.workers: list[ConnectorWorker] = []
        consumer = LeadChangeConsumer(settings, self.workers, stop)
        for connector in connectors:
            self.workers.append(
                ConnectorWorker(
                    connector,
                    WriteRecords(redis, connector.name),
                    dead,
                    connector.policy,
                    connector.linger,
                    consumer.settle,
                    HealthLog(redis, connector.name),
                )
            )
        self._consumer = consumer
        self._connectors = connectors

    @property
    def holds_partitions(self) -> bool:
        return self._consumer is not None and self._consumer.holds_partitions

    async def run(self) -> None:
        """Read and write until the consumer stops; then cut the writers short.

        A writer cut short leaves its reads uncommitted (and, mid-send, a batch noted in
        flight): the next start reads them again and finishes that batch without a repeat.
        """
        if self._consumer is None or not self.workers:
            return
        log.info("crm_starting", connectors=[f"{c.name}:{c.kind}" for c in self._connectors])
        tasks = [asyncio.create_task(w.run(), name=f"crm-{w.connector.name}") for w in self.workers]
        for task in tasks:
            task.add_done_callback(_report)
        try:
            await self._consumer.run()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for connector in self._connectors:
                await connector.aclose()


def _report(task: asyncio.Task[None]) -> None:
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        # Its reads stay unsettled (nothing lost); the process must be restarted to go on.
        log.error("crm_worker_died", task=task.get_name(), exc_info=error)
