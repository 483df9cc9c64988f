"""The two bare consumers bench/scorer.py compares the scorer with, on the same topic.

- `run_bare`: one minimal Lua update per event (HINCRBY + offset SET), pipelined per
  batch, committing per batch: the baseline the bench has always printed.
- `run_batched`: writes the way the scorer does: one Lua call per run of up to RUN_MAX
  messages of a partition, setting one small value per event and the partition's offset in
  that same call, all of a batch's calls in one pipeline, committing per batch; with the
  scorer's consumer options (fetch sizes and waits). No decoding, no logic: the floor of
  consume-and-commit for a consumer built like the scorer.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer
from redis.asyncio import Redis

from leadpulse.kernel.settings import Settings
from scorer.runtime.batch import RUN_MAX
from scorer.runtime.service import consumer_options, settle_heap

BARE_LUA = """
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('SET', KEYS[2], ARGV[2])
return 1
"""
# KEYS[1]: the partition's offset; KEYS[2..]: one key per message of the run.
# ARGV[1]: the run's last offset; ARGV[2..]: one small value per message.
BATCHED_LUA = """
for i = 2, #KEYS do
  redis.call('SET', KEYS[i], ARGV[i])
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
"""


async def _start(consumer: AIOKafkaConsumer) -> None:
    await consumer.start()
    settle_heap()  # as the scorer does once started: the bench's event list is not its heap
    while not consumer.assignment():
        await consumer.getmany(timeout_ms=100)
    await consumer.seek_to_beginning()


async def run_bare(settings: Settings, topic: str, expected: int) -> float:
    """Seconds from assignment until `expected` messages are applied, one call each."""
    redis = Redis.from_url(settings.redis_url or "")
    sha = await redis.script_load(BARE_LUA)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=f"bare-{uuid.uuid4().hex}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    done = 0
    try:
        await _start(consumer)
        start = time.perf_counter()
        while done < expected:
            records = await consumer.getmany(timeout_ms=100, max_records=1000)
            pipe = redis.pipeline(transaction=False)
            for tp, items in records.items():
                tag = f"bare:{{p{tp.partition}}}:"
                for r in items:
                    pipe.evalsha(sha, 2, tag + "counts", tag + "offset", r.key or b"", r.offset)
                done += len(items)
            await pipe.execute()
            if records:
                await consumer.commit()
        return time.perf_counter() - start
    finally:
        await consumer.stop()
        await redis.aclose()


def _run_call(sha: str, partition: int, items: list[Any]) -> list[Any]:
    tag = f"batched:{{p{partition}}}:"
    keys: list[Any] = [tag + "offset"]
    args: list[Any] = [items[-1].offset]
    for r in items:
        keys.append(tag.encode() + b"e:" + (r.key or b""))
        args.append(r.offset)
    return ["EVALSHA", sha, len(keys), *keys, *args]


async def run_batched(settings: Settings, topic: str, expected: int) -> float:
    """Seconds from assignment until `expected` messages are applied, one call per run."""
    redis = Redis.from_url(settings.redis_url or "")
    sha = await redis.script_load(BATCHED_LUA)
    options = consumer_options(settings) | {"group_id": f"batched-{uuid.uuid4().hex}"}
    consumer = AIOKafkaConsumer(topic, **options)
    done = 0
    try:
        await _start(consumer)
        start = time.perf_counter()
        while done < expected:
            records = await consumer.getmany(timeout_ms=100, max_records=1000)
            if not records:
                continue
            pipe = redis.pipeline(transaction=False)
            for tp, items in records.items():
                for first in range(0, len(items), RUN_MAX):
                    run = items[first : first + RUN_MAX]
                    pipe.execute_command(*_run_call(sha, tp.partition, run))
                done += len(items)
            await pipe.execute()
            await consumer.commit()
        return time.perf_counter() - start
    finally:
        await consumer.stop()
        await redis.aclose()
