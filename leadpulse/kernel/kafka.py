"""Kafka settings every service shares: producer options and topic creation."""

from __future__ import annotations

import contextlib
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from leadpulse.kernel.settings import Settings

__all__ = ["ensure_topics", "producer_options"]


def producer_options(settings: Settings, *, linger_ms: int = 1) -> dict[str, Any]:
    """Options for every producer: acks=all always (aiokafka's default is 1)."""
    return {
        "bootstrap_servers": settings.kafka_bootstrap,
        "acks": "all",
        "enable_idempotence": settings.kafka_idempotence,
        "max_batch_size": 512 * 1024,
        "max_request_size": 2 * 1024 * 1024,
        "linger_ms": linger_ms,
        "request_timeout_ms": 10_000,
    }


async def ensure_topics(settings: Settings) -> None:
    """Create the topics if missing (events and alerts with the configured partitions)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        topics = settings.topics
        wanted = [
            NewTopic(
                name,
                num_partitions=settings.kafka_partitions,
                replication_factor=settings.kafka_replication,
            )
            for name in (
                topics.events,
                topics.alerts,
                topics.dlq,
                topics.lead_changes,
                topics.crm_dlq,
            )
            if name not in existing
        ]
        if topics.outcomes not in existing:
            # One partition: the trainer reads every outcome in one order.
            wanted.append(NewTopic(topics.outcomes, 1, settings.kafka_replication))
        if wanted:
            # Another process may have created them first.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(wanted)
    finally:
        await admin.close()
