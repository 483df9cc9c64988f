"""Publishing the outbox: alerts and control messages written by the apply script.

A message leaves the outbox only after the broker acked it (acks=all). A crash between the
ack and the delete publishes it again: alert ids and control event ids are deterministic,
so the router and the receiving scorer drop the copy.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from leadpulse.kernel.schema import TopicNames
from leadpulse.kernel.valkey import Valkey, text
from scorer.core.effects import Outbound
from scorer.metrics import ALERTS_QUEUED, OUTBOX_PUBLISHED
from scorer.storage.keys import PartitionKeys
from scorer.storage.view import outbound_of

__all__ = ["Outbox"]

# What rescore does not send again: people (and CRMs, see `leadpulse crm backfill`) were told.
_TOLD = ("alerts", "lead_changes")


class Outbox:
    def __init__(
        self, redis: Valkey, producer: Any, topics: TopicNames, *, send_alerts: bool = True
    ) -> None:
        self._redis = redis
        self._producer = producer
        self._topics = topics
        # rescore rebuilds state quietly: sales already heard about those moments once.
        self._send_alerts = send_alerts
        # partition of the events topic -> highest offset this outbox produced there
        self.produced: dict[int, int] = {}
        # (partition, offset) of every events-topic message this outbox produced
        self.produced_offsets: set[tuple[int, int]] = set()

    def _topic(self, kind: str) -> str:
        if kind == "lead_changes":
            return self._topics.lead_changes
        if kind == "outcomes":
            return self._topics.outcomes
        return self._topics.alerts if kind == "alerts" else self._topics.events

    async def publish(self, partition: int, messages: list[Outbound]) -> None:
        """Send, wait for every ack, then drop them from the partition's outbox."""
        if not messages:
            return
        sending = [m for m in messages if self._send_alerts or m.topic not in _TOLD]
        futures = [
            await self._producer.send(self._topic(m.topic), m.value, key=m.key.encode())
            for m in sending
        ]
        sent = await asyncio.gather(*futures)
        for m, meta in zip(sending, sent, strict=True):
            OUTBOX_PUBLISHED.labels(m.topic).inc()
            if m.topic == "alerts":
                ALERTS_QUEUED.labels(orjson.loads(m.value).get("type", "unknown")).inc()
            elif m.topic == "events":
                self.produced_offsets.add((meta.partition, meta.offset))
                self.produced[meta.partition] = max(
                    self.produced.get(meta.partition, -1), meta.offset
                )
        await self._redis.hdel(PartitionKeys(partition).outbox, *[m.msg_id for m in messages])

    async def pending(self, partition: int) -> list[Outbound]:
        raw = await self._redis.hgetall(PartitionKeys(partition).outbox)
        return [outbound_of(text(k), v) for k, v in raw.items()]

    async def flush(self, partition: int) -> int:
        """Publish whatever a crash or a failed publish left in the outbox."""
        messages = await self.pending(partition)
        await self.publish(partition, messages)
        return len(messages)
