"""`leadpulse rescore`: rebuild all scoring state from the events topic with today's rules.

Run it with the scorers stopped. It wipes every partition's state (`lp:{pN}:*`), keeps the
suppression list (forgotten people stay forgotten: their events are dropped again), then
replays the topic from the beginning through the same apply path as the live scorer. The
claims, merges and forwards the old run wrote to the topic are skipped (they carry
snapshots made under the old rules); the replay writes its own, with the same deterministic
ids, and consumes exactly those (known by the offsets the broker gave them) until nothing is
pending. Alerts and lead changes are not re-sent. Training examples are: with unchanged rules
they are the live run's, under the same ids and with the same content, and the trainer keeps
one example per id (`scorer.core.conversion.examples.canonical`), so it trains the same model.
Afterwards the stored offsets point at the topic's end, so scorers resume from there.

Production needs the events topic kept for as long as history should count (retention.ms=-1,
or tiered storage), since a rebuild can only see what the topic still holds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.fetch import Contiguous
from leadpulse.kernel.kafka import ensure_topics, producer_options
from leadpulse.kernel.settings import Settings
from leadpulse.kernel.valkey import Valkey
from leadpulse.kernel.wire import Envelope
from scorer.core.config import Rules
from scorer.runtime.batch import Message, apply_batch
from scorer.runtime.consumer import decode_message
from scorer.runtime.outbox import Outbox
from scorer.runtime.service import open_redis

__all__ = ["rescore", "wipe_state"]

log = structlog.get_logger("scorer.runtime.rescore")

Progress = Callable[[int, int], None]


async def wipe_state(redis: Valkey, partitions: int) -> int:
    """Delete every partition-scoped key; the suppression list stays.

    One pattern per partition, with its full hash tag: a cluster node then scans one slot.
    """
    deleted = 0
    for partition in range(partitions):
        batch: list[Any] = []
        async for key in redis.scan_iter(match=f"lp:{{p{partition}}}:*", count=1000):
            batch.append(key)
            if len(batch) >= 500:
                deleted += await _unlink(redis, batch)
                batch = []
        if batch:
            deleted += await _unlink(redis, batch)
    return deleted


async def _unlink(redis: Valkey, keys: list[Any]) -> int:
    # One partition's keys share a hash slot: one multi-key UNLINK on any deployment.
    return int(await redis.unlink(*keys))


async def rescore(
    settings: Settings, config: LeadPulseConfig, progress: Progress | None = None
) -> int:
    """Rebuild all state from the events topic; return the number of events applied."""
    rules = Rules.from_config(
        config.scoring, crm_score_step=config.crm_score_step, predict=config.predict
    )
    await ensure_topics(settings)
    redis, scripts = await open_redis(settings, config)
    producer = AIOKafkaProducer(**producer_options(settings))
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False, group_id=None
    )
    outbox = Outbox(redis, producer, settings.topics, send_alerts=False)
    applied = 0
    try:
        await producer.start()
        await consumer.start()
        topic = settings.topics.events
        # The metadata is loaded by start(); fall back to the configured count.
        found = consumer.partitions_for_topic(topic)
        partitions = sorted(found or range(settings.kafka_partitions))
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        fetch = Contiguous(consumer)
        snapshot = {
            tp.partition: offset for tp, offset in (await consumer.end_offsets(tps)).items()
        }
        wiped = await wipe_state(redis, max(len(tps), settings.kafka_partitions))
        log.info("rescore_started", partitions=len(tps), events=sum(snapshot.values()), wiped=wiped)
        seen = 0
        while True:
            # Its own merges are produced while it reads: no record past a hole.
            records = await fetch.getmany(timeout_ms=200, max_records=2000)
            batches: dict[int, list[Message]] = {}
            for tp, items in records.items():
                messages = []
                for r in items:
                    key, event = decode_message(r.key, r.value)
                    ours = (tp.partition, r.offset) in outbox.produced_offsets
                    skip = _derived(key, event) and not ours
                    messages.append(Message(r.offset, key, event, skip=skip))
                batches[tp.partition] = messages
                seen += len(items)
            if batches:
                results = await apply_batch(redis, scripts, rules, batches)
                for partition, result in results.items():
                    if result.conflict:
                        raise RuntimeError(
                            f"partition {partition} changed under rescore: stop the scorers first"
                        )
                    applied += result.outcomes["applied"]
                    await outbox.publish(partition, result.outbound)
            targets = {p: max(snapshot[p], outbox.produced.get(p, -1) + 1) for p in snapshot}
            if progress is not None:
                progress(seen, max(seen, sum(targets.values())))
            positions = {tp.partition: await consumer.position(tp) for tp in tps}
            if not records and all(positions[p] >= targets[p] for p in targets):
                break
        log.info("rescore_finished", applied=applied)
        return applied
    finally:
        await consumer.stop()
        await producer.stop()
        await redis.aclose()


def _derived(key: str, event: Envelope | None) -> bool:
    """Written by a scorer from other messages: a control message or a forwarded copy."""
    if event is None:
        return False
    if event.type == "stale":
        # A fact of time (a sales SLA ran out), not of rules; applying it checks that the
        # rebuilt lead is still in the very stay it names.
        return False
    if event.source == "scorer":
        return True
    identities = event.identity.keys()
    return key not in identities and key != event.previous_id
