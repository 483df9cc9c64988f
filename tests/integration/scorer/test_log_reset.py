"""A restarted scorer on a healthy log: its stored offsets are proven, not reset."""

from __future__ import annotations

from typing import Any

from structlog.testing import capture_logs

from leadpulse.kernel.settings import Settings
from scorer.read import store
from scorer.storage.keys import PartitionKeys
from scorer.storage.scripts import Scripts
from tests.integration.scorer.conftest import ScorerStarter, wait_for
from tests.unit.scorer.events import at, page


async def stored_offsets(redis: Any, partitions: int) -> list[int]:
    raw = [await redis.get(PartitionKeys(p).offset) for p in range(partitions)]
    return [int(r) if r is not None else -1 for r in raw]


async def offsets_sum(redis: Any, settings: Settings, count: int) -> bool:
    """At least `count` messages applied, by the stored offsets of every partition."""
    return sum(o + 1 for o in await stored_offsets(redis, settings.kafka_partitions)) >= count


async def visitors(redis: Any) -> int:
    funnel = await store.get_funnel(redis, start=at(0).date(), end=at(days=1).date())
    return int({r["stage"]: r["flow"] for r in funnel["stages"]}["visitor"])


async def test_a_restart_on_a_healthy_log_resets_nothing(
    scorer_settings: Settings, produce: Any, start_scorer: ScorerStarter, redis: Any
) -> None:
    """Offsets stored near the log's end (where Tansu's ListOffsets answers short) are the
    same log: a restarted scorer re-applies nothing and reports no reset."""
    partitions = scorer_settings.kafka_partitions
    await produce(*[page(f"/demo/blog/{i}", anon=f"h{i % 30}", when=at(i)) for i in range(600)])
    halt = await start_scorer()
    await wait_for(lambda: offsets_sum(redis, scorer_settings, 600), what="600 applied")
    await halt()
    stored = await stored_offsets(redis, partitions)
    with capture_logs() as logs:
        await start_scorer()
        await produce(page("/demo/last", anon="h-last", when=at(700)))
        await wait_for(lambda: offsets_sum(redis, scorer_settings, 601), what="one more")
    assert [e for e in logs if e["event"] == "partition_log_reset"] == []
    after = await stored_offsets(redis, partitions)
    assert sum(after) == sum(stored) + 1
    assert await visitors(redis) == 31


async def test_the_reset_script_forgets_the_offset_and_keeps_the_dedupe_order(
    redis: Any,
) -> None:
    """log_reset.lua: only the stale offset it was given is reset; the seen ids stay, scored
    below every offset of the new log, oldest lowest; the mark goes."""
    scripts = Scripts()
    await scripts.load(redis)
    pk = PartitionKeys(1)
    await redis.set(pk.offset, 4200)
    await redis.set(pk.mark, "4200 evt-last")
    await redis.zadd(pk.seen, {f"evt-{n}": n for n in range(2500)})
    refused = await scripts.run(redis, scripts.reset, [pk.offset, pk.seen, pk.mark], [4199])
    assert refused == 0 and int(await redis.get(pk.offset)) == 4200
    done = await scripts.run(redis, scripts.reset, [pk.offset, pk.seen, pk.mark], [4200])
    assert done == 1
    assert int(await redis.get(pk.offset)) == -1 and await redis.get(pk.mark) is None
    seen = await redis.zrange(pk.seen, 0, -1, withscores=True)
    assert [m.decode() for m, _ in seen] == [f"evt-{n}" for n in range(2500)]
    assert [s for _, s in seen] == [float(n - 4201) for n in range(2500)]
