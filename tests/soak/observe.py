"""Read-only looks at the running pipeline: Valkey's dedupe sets, stored offsets and
outboxes, the router's records, and whole topics.

Nothing here trusts a partition's end offset: Tansu reports it as the start of the last
batch, hundreds short of the real end. A topic is read until it stays empty for a while,
and "drained" means every accepted id is applied and the stored offsets stopped moving.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from redis.exceptions import RedisError

from scorer.storage.keys import PartitionKeys

__all__ = ["Pipeline", "read_records", "read_topic"]


async def read_topic(bootstrap: str, topic: str, quiet_polls: int = 3) -> list[dict[str, Any]]:
    """Every message of `topic` as JSON, read until `quiet_polls` polls in a row are empty."""
    return [value for _, _, _, value in await read_records(bootstrap, topic, quiet_polls)]


async def read_records(
    bootstrap: str, topic: str, quiet_polls: int = 3
) -> list[tuple[int, int, str, dict[str, Any]]]:
    """(partition, offset, key, JSON value) of every message of `topic`, read like `read_topic`."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
    )
    await consumer.start()
    values: list[tuple[int, int, str, dict[str, Any]]] = []
    try:
        await consumer.topics()
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not tps:
            return values
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        empty = 0
        while empty < quiet_polls:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            empty = 0 if batch else empty + 1
            values += [
                (m.partition, m.offset, (m.key or b"").decode(), orjson.loads(m.value))
                for ms in batch.values()
                for m in ms
                if m.value
            ]
    finally:
        await consumer.stop()
    return values


class Pipeline:
    """The live Valkey through a redis.asyncio client; errors (Valkey killed) read as 'not yet'."""

    def __init__(self, redis: Any, partitions: int) -> None:
        self.redis = redis
        self.keys = [PartitionKeys(p) for p in range(partitions)]

    async def applied(self, event_id: str) -> bool:
        try:
            pipe = self.redis.pipeline(transaction=False)
            for pk in self.keys:
                pipe.zscore(pk.seen, event_id)
            return any(score is not None for score in await pipe.execute())
        except (RedisError, OSError):
            return False

    async def seen_ids(self) -> set[str]:
        pipe = self.redis.pipeline(transaction=False)
        for pk in self.keys:
            pipe.zrange(pk.seen, 0, -1)
        return {m.decode() for members in await pipe.execute() for m in members}

    async def offsets(self) -> tuple[int, ...]:
        pipe = self.redis.pipeline(transaction=False)
        for pk in self.keys:
            pipe.get(pk.offset)
            pipe.hlen(pk.outbox)
        replies = await pipe.execute()
        return tuple(-1 if r is None else int(r) for r in replies)

    async def lead_count(self) -> int:
        pipe = self.redis.pipeline(transaction=False)
        for pk in self.keys:
            pipe.hlen(pk.index)
        return sum(await pipe.execute())

    async def router_record(self, alert_id: str) -> dict[str, str]:
        raw = await self.redis.hgetall(f"lp:router:{{{alert_id}}}")
        return {k.decode(): v.decode() for k, v in raw.items()}

    async def wait_applied(self, ids: set[str], seconds: float) -> set[str]:
        """Wait until every id is in a dedupe set; returns those still missing."""
        missing = set(ids)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while missing and loop.time() < deadline:
            with contextlib.suppress(RedisError, OSError):
                missing -= await self.seen_ids()
            if missing:
                await asyncio.sleep(1)
        return missing

    async def wait_still(self, still_for: float, seconds: float) -> bool:
        """Wait until stored offsets and outbox sizes have not moved for `still_for` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        last, since = None, loop.time()
        while loop.time() < deadline:
            try:
                now = await self.offsets()
            except (RedisError, OSError):
                now = None
            if now != last or now is None or any(now[1::2]):
                last, since = now, loop.time()
            elif loop.time() - since >= still_for:
                return True
            await asyncio.sleep(0.5)
        return False
