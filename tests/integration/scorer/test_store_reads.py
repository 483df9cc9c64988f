"""The read path shows one moment of a lead, even while the scorer writes to it."""

from __future__ import annotations

import asyncio
from typing import Any

from scorer.core.state import LeadState
from scorer.read import store
from scorer.storage.keys import META, PartitionKeys

# One atomic write as apply.lua makes them: the lead's state and a timeline entry together.
WRITE = """
redis.call('SET', KEYS[1], ARGV[1])
redis.call('LPUSH', KEYS[2], ARGV[2])
return 1
"""


async def test_a_lead_read_never_mixes_state_and_timeline_of_different_moments(
    redis: Any,
) -> None:
    """Each read's timeline holds as many pages as its state counts, while writes go on."""
    pk = PartitionKeys(0)
    lead_id = "ld_reads"
    await redis.hset(META, mapping={"partitions": 1})
    await redis.hset(pk.identities, "email:r@reads.example", lead_id)
    keys = [pk.lead(lead_id), pk.timeline(lead_id)]

    async def write(n: int) -> None:
        state = LeadState(lead_id=lead_id, created=0.0, stage="lead", traits={"pages": n})
        entry = f'{{"at": {n}, "type": "page", "id": "e{n}"}}'
        await redis.eval(WRITE, 2, *keys, state.dumps(), entry)

    await write(1)
    done = asyncio.Event()

    async def writer() -> None:
        for n in range(2, 400):
            await write(n)
        done.set()

    task = asyncio.create_task(writer())
    reads = 0
    while not done.is_set():
        lead = await store.get_lead(redis, "r@reads.example")
        assert lead is not None
        assert len(lead["timeline"]) == lead["traits"]["pages"]
        reads += 1
    await task
    assert reads > 0
