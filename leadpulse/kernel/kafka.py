"""Kafka settings every service shares: producer options, topic creation, reading a topic."""

from __future__ import annotations

import contextlib
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.structs import ConsumerRecord

from leadpulse.kernel.settings import Settings

__all__ = ["ensure_topics", "producer_options", "read_to_end"]


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
                topics.events_dlq,
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


async def read_to_end(settings: Settings, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of `topic`, from its beginning to its end as of now (no group)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        if topic not in await consumer.topics():
            return records
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not tps:
            return records
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        pending = {tp for tp in tps if ends[tp] > 0}
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=1000)
            for messages in batch.values():
                records += messages
            for tp in list(pending):
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
    finally:
        await consumer.stop()
    return records
