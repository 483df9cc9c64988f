"""The Valkey client every service uses: more commands in flight than pooled connections
wait for a free connection instead of failing (redis-py's own pool raises at its limit,
which a router with hundreds of alerts under way reached)."""

from __future__ import annotations

import asyncio

from leadpulse.dev.embedded import EmbeddedValkey
from leadpulse.kernel.valkey import valkey_at


async def test_commands_beyond_the_pool_wait_for_a_connection(valkey: EmbeddedValkey) -> None:
    client = valkey_at(valkey.url, max_connections=2)
    try:
        # Each BLPOP holds its connection for 0.2 s: 12 at once need 6 turns of the pool.
        answers = await asyncio.gather(
            *(client.blpop([f"lp:test:empty:{n}"], timeout=0.2) for n in range(12))
        )
        assert answers == [None] * 12
        await client.set("lp:test:after", "1")
        assert await client.get("lp:test:after") == b"1"
    finally:
        await client.aclose()
