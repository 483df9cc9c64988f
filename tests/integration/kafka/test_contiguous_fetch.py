"""A consumer tailing a partition that three producers write at once, on the real
embedded broker: through `Contiguous` it hands on every offset, in order, none skipped.

Without it the same consumer stepped over a batch now and then (5 of 191,650 records in
40 s on one run): the broker can serve a produce batch before an earlier one is visible.
"""

from __future__ import annotations

import asyncio
import random
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from leadpulse.dev.embedded import EmbeddedBroker
from leadpulse.kernel.fetch import Contiguous

PARTITIONS = 3
SECONDS = 15


async def _produce(bootstrap: str, topic: str, stop: asyncio.Event, seed: int) -> int:
    rng = random.Random(seed)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=1, acks="all")
    await producer.start()
    sent = 0
    try:
        while not stop.is_set():
            size = rng.randint(1, 40)
            futures = [
                await producer.send(topic, b"x" * rng.randint(10, 4000), partition=rng.randrange(3))
                for _ in range(size)
            ]
            await asyncio.gather(*futures)
            sent += size
            await asyncio.sleep(rng.random() * 0.01)
    finally:
        await producer.stop()
    return sent


async def test_a_tailing_consumer_hands_on_every_offset_of_concurrent_producers(
    broker: EmbeddedBroker,
) -> None:
    topic = f"contiguous-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, PARTITIONS, 1)])
    await admin.close()
    tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=broker.bootstrap, enable_auto_commit=False, fetch_max_wait_ms=50
    )
    await consumer.start()
    consumer.assign(tps)
    await consumer.seek_to_beginning(*tps)
    fetch = Contiguous(consumer)
    stop = asyncio.Event()
    producers = [asyncio.create_task(_produce(broker.bootstrap, topic, stop, n)) for n in range(3)]
    handed: dict[int, list[int]] = {p: [] for p in range(PARTITIONS)}
    try:
        loop = asyncio.get_running_loop()
        until = loop.time() + SECONDS
        while loop.time() < until:
            for tp, records in (await fetch.getmany(timeout_ms=100, max_records=1000)).items():
                handed[tp.partition] += [r.offset for r in records]
        stop.set()
        produced = sum(await asyncio.gather(*producers))
        quiet = 0
        while quiet < 5:
            batch = await fetch.getmany(timeout_ms=200, max_records=1000)
            quiet = 0 if batch else quiet + 1
            for tp, records in batch.items():
                handed[tp.partition] += [r.offset for r in records]
    finally:
        stop.set()
        await consumer.stop()
    assert sum(len(offsets) for offsets in handed.values()) == produced
    for offsets in handed.values():
        assert offsets == list(range(len(offsets)))
