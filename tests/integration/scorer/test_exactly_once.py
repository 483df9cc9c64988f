"""Exactly-once effect: duplicates, redelivery and a fresh consumer group change nothing."""

from __future__ import annotations

from typing import Any

from leadpulse.kernel.settings import Settings
from scorer.read import store
from scorer.storage.keys import PartitionKeys
from tests.integration.scorer.conftest import ScorerStarter, wait_for
from tests.unit.scorer.events import at, page, track


async def _total_offsets(redis: Any, partitions: int) -> int:
    total = 0
    for p in range(partitions):
        raw = await redis.get(PartitionKeys(p).offset)
        total += int(raw) + 1 if raw is not None else 0
    return total


async def test_a_duplicated_event_changes_nothing(
    scorer_settings: Settings, produce: Any, start_scorer: ScorerStarter, redis: Any
) -> None:
    """The same event_id sent twice scores once, moves the funnel once, times once."""
    click = track("Email Link Clicked", email="dup@acme.example", when=at(1), event_id="click-1")
    await produce(track("Form Submitted", email="dup@acme.example", when=at(0)), click, click)
    await start_scorer()
    await wait_for(lambda: _caught_up(redis, scorer_settings, 3), what="3 messages applied")
    lead = await store.get_lead(redis, "dup@acme.example")
    assert lead is not None
    assert [e["id"] for e in lead["timeline"]].count("click-1") == 1
    rules = {row["rule"] for row in lead["score"]["breakdown"]}
    assert {"email_clicked", "form_submitted"} <= rules
    funnel = await store.get_funnel(redis, start=at(0).date(), end=at(0).date())
    flows = {row["stage"]: row["flow"] for row in funnel["stages"]}
    assert flows["lead"] == 1 and flows["nurturing"] == 1


async def _caught_up(redis: Any, settings: Settings, count: int) -> bool:
    return await _total_offsets(redis, settings.kafka_partitions) >= count


async def test_a_new_consumer_group_resumes_from_valkey_offsets(
    scorer_settings: Settings, produce: Any, start_scorer: ScorerStarter, redis: Any
) -> None:
    """Kafka offsets are a hint: a scorer in a brand-new group re-applies nothing."""
    await produce(*[page(f"/demo/blog/{i}", anon=f"a{i}", when=at(i)) for i in range(12)])
    await start_scorer()
    await wait_for(lambda: _caught_up(redis, scorer_settings, 12), what="12 applied")
    before = await store.get_funnel(redis, start=at(0).date(), end=at(0).date())
    fresh = scorer_settings.model_copy(update={"scorer_group": scorer_settings.scorer_group + "2"})
    await start_scorer(fresh)
    await produce(page("/demo/blog/last", anon="late", when=at(30)))
    await wait_for(lambda: _caught_up(redis, scorer_settings, 13), what="13 applied")
    after = await store.get_funnel(redis, start=at(0).date(), end=at(0).date())
    visitors = {r["stage"]: r["flow"] for r in after["stages"]}["visitor"]
    assert visitors == {r["stage"]: r["flow"] for r in before["stages"]}["visitor"] + 1 == 13


async def test_a_redelivered_batch_is_dropped(
    scorer_settings: Settings, produce: Any, start_scorer: ScorerStarter, redis: Any
) -> None:
    """Re-sending a whole batch of already applied events (a producer retry) changes nothing."""
    events = [page("/demo/pricing", anon="solo", when=at(i)) for i in range(6)]
    await produce(*events)
    await start_scorer()
    await wait_for(lambda: _caught_up(redis, scorer_settings, 6), what="6 applied")
    lead = await store.get_lead(redis, "anon:solo")
    assert lead is not None and len(lead["timeline"]) == 6
    await produce(*events)
    await wait_for(lambda: _caught_up(redis, scorer_settings, 12), what="12 consumed")
    again = await store.get_lead(redis, "anon:solo")
    assert again is not None and len(again["timeline"]) == 6
    assert again["score"] == lead["score"] | {"breakdown": again["score"]["breakdown"]}
    assert again["score"]["total"] == lead["score"]["total"]


def _group(settings: Settings, suffix: str) -> Settings:
    """A fresh consumer group: restarts need not wait out the old member's session."""
    return settings.model_copy(update={"scorer_group": f"{settings.scorer_group}-{suffix}"})


async def _partition_dump(redis: Any, partition: int) -> dict[bytes, bytes]:
    keys = [k async for k in redis.scan_iter(match=f"lp:{{p{partition}}}:*")]
    return {k: await redis.dump(k) for k in keys}


async def test_valkey_losing_its_last_writes_replays_exactly_those(
    scorer_settings: Settings, produce: Any, start_scorer: ScorerStarter, redis: Any
) -> None:
    """A partition rolled back (a Valkey that lost its last second) is replayed from Kafka."""
    first = [page("/demo/pricing", anon="solo", when=at(i)) for i in range(3)]
    later = [page("/demo/compare", anon="solo", when=at(10 + i)) for i in range(3)]
    await produce(*first)
    halt = await start_scorer(_group(scorer_settings, "a"))
    await wait_for(lambda: _caught_up(redis, scorer_settings, 3), what="3 applied")
    await halt()
    lead = await store.get_lead(redis, "anon:solo")
    assert lead is not None
    stored = [await redis.get(PartitionKeys(p).offset) for p in range(3)]
    partition = next(p for p, offset in enumerate(stored) if offset is not None)
    snapshot = await _partition_dump(redis, partition)
    await produce(*later)
    halt = await start_scorer(_group(scorer_settings, "b"))
    await wait_for(lambda: _caught_up(redis, scorer_settings, 6), what="6 applied")
    await halt()
    expected = await store.get_lead(redis, "anon:solo")
    funnel = await store.get_funnel(redis, start=at(0).date(), end=at(0).date())
    for key in [k async for k in redis.scan_iter(match=f"lp:{{p{partition}}}:*")]:
        await redis.delete(key)
    for key, value in snapshot.items():
        await redis.restore(key, 0, value)
    assert len((await store.get_lead(redis, "anon:solo"))["timeline"]) == 3  # type: ignore[index]
    # Same group as the run before: its committed Kafka offset (6) must not be trusted.
    await start_scorer(_group(scorer_settings, "b"))
    await wait_for(lambda: _caught_up(redis, scorer_settings, 6), what="6 re-applied")
    replayed = await store.get_lead(redis, "anon:solo")
    assert replayed is not None and expected is not None
    assert replayed["score"]["total"] == expected["score"]["total"]
    assert [e["id"] for e in replayed["timeline"]] == [e["id"] for e in expected["timeline"]]
    assert await store.get_funnel(redis, start=at(0).date(), end=at(0).date()) == funnel


async def test_an_unreadable_message_is_skipped_and_the_partition_moves_on(
    scorer_settings: Settings, produce: Any, start_scorer: ScorerStarter, redis: Any
) -> None:
    """A message that is not an envelope advances the offset and blocks nothing behind it."""
    from aiokafka import AIOKafkaProducer

    from leadpulse.kernel.kafka import producer_options

    producer = AIOKafkaProducer(**producer_options(scorer_settings))
    await producer.start()
    try:
        for partition in range(scorer_settings.kafka_partitions):
            await producer.send_and_wait(
                scorer_settings.topic_events, b"\xff not json", key=b"anon:x", partition=partition
            )
    finally:
        await producer.stop()
    await produce(page("/demo/blog/a", anon="after-poison", when=at(0)))
    await start_scorer()
    await wait_for(lambda: _caught_up(redis, scorer_settings, 4), what="poison + event applied")
    assert await store.get_lead(redis, "anon:after-poison") is not None
