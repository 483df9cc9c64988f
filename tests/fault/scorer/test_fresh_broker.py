"""The `make run` restart: a fresh broker under Valkey's kept state (or a recreated topic)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis.asyncio as aioredis
from aiokafka.admin import AIOKafkaAdminClient
from structlog.testing import capture_logs

from leadpulse.dev.embedded import EmbeddedBroker, EmbeddedValkey
from leadpulse.kernel.kafka import ensure_topics
from scorer.read import store
from tests.conftest import SettingsFactory
from tests.fault.scorer.conftest import RunScorer
from tests.integration.scorer.conftest import Producer, wait_for
from tests.integration.scorer.test_log_reset import offsets_sum, stored_offsets, visitors
from tests.unit.scorer.events import at, identify, page, track

VISITS = 60


@pytest.fixture
def brokers() -> Iterator[tuple[EmbeddedBroker, EmbeddedBroker]]:
    """Two brokers of this test alone: the first is stopped and the second takes over.

    Requested before `run_scorer`, so they outlive every scorer of the test."""
    first, second = EmbeddedBroker(), EmbeddedBroker()
    first.start()
    second.start()
    yield first, second
    first.stop()
    second.stop()


async def test_a_fresh_broker_under_kept_state_is_detected_and_scored(
    settings_factory: SettingsFactory,
    valkey: EmbeddedValkey,
    brokers: tuple[EmbeddedBroker, EmbeddedBroker],
    run_scorer: RunScorer,
) -> None:
    """The `make run` restart: Valkey kept offsets of a log the new broker never had. The
    scorer says so once per partition, scores the new events, and counts none twice."""
    own_broker, fresh = brokers
    redis = aioredis.Redis.from_url(valkey.url)
    await redis.flushall()
    settings = settings_factory(
        kafka_bootstrap=own_broker.bootstrap, redis_url=valkey.url, scorer_health_port=0
    )
    await ensure_topics(settings)
    email = "back@again.example"
    visits = [page(f"/demo/blog/{i}", anon=f"v{i % 20}", when=at(i)) for i in range(VISITS)]
    form = track("Form Submitted", email=email, when=at(65))
    try:
        async with Producer(settings) as producer:
            halt = await run_scorer(settings)
            await producer.send(*visits, form)
            await wait_for(lambda: offsets_sum(redis, settings, VISITS + 1), what="the visits")
            await halt()
        before = await stored_offsets(redis, settings.kafka_partitions)
        seen_before = await visitors(redis)
        assert seen_before == 20

        own_broker.stop()
        settings = settings.model_copy(update={"kafka_bootstrap": fresh.bootstrap})
        await ensure_topics(settings)
        with capture_logs() as logs:
            halt = await run_scorer(settings)
            async with Producer(settings) as producer:
                # one event sent again (a retry across the restart), then new ones
                await producer.send(
                    form,
                    page("/demo/pricing", anon="v1", when=at(70)),
                    identify(anon="v1", email=email, when=at(71)),
                    track("Demo Requested", email=email, when=at(72)),
                )

                async def mql() -> bool:
                    lead = await store.get_lead(redis, email)
                    return lead is not None and lead["stage"] == "mql"

                await wait_for(mql, 30, "the returning visitor to become an mql")
            await halt()
        resets = [e for e in logs if e["event"] == "partition_log_reset"]
        assert resets, "no partition_log_reset line"
        stale = {p for p, offset in enumerate(before) if offset >= 0}
        assert {e["partition"] for e in resets} <= stale
        assert all(e["stored_offset"] == before[e["partition"]] for e in resets)
        assert len(resets) == len({e["partition"] for e in resets})
        lead = await store.get_lead(redis, email)
        assert lead is not None
        ids = [entry["id"] for entry in lead["timeline"]]
        assert ids.count(form.event_id) == 1 and len(ids) == len(set(ids))
        assert await visitors(redis) == seen_before
    finally:
        await redis.aclose()


async def test_a_topic_recreated_under_a_running_scorer_is_scored_from_its_start(
    settings_factory: SettingsFactory, valkey: EmbeddedValkey, run_scorer: RunScorer
) -> None:
    """The events topic is deleted and created again while the scorer runs: the new
    topic's events are scored, and the replaced partitions are reported."""
    redis = aioredis.Redis.from_url(valkey.url)
    await redis.flushall()
    settings = settings_factory(redis_url=valkey.url, scorer_health_port=0)
    await ensure_topics(settings)
    try:
        await run_scorer(settings)
        async with Producer(settings) as producer:
            await producer.send(
                *[page(f"/demo/blog/{i}", anon=f"r{i % 10}", when=at(i)) for i in range(VISITS)]
            )
            await wait_for(lambda: offsets_sum(redis, settings, VISITS), what="the visits")
        before = await stored_offsets(redis, settings.kafka_partitions)
        email = "recreated@topic.example"
        with capture_logs() as logs:
            admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
            await admin.start()
            try:
                await admin.delete_topics([settings.topics.events])
            finally:
                await admin.close()
            await ensure_topics(settings)
            async with Producer(settings) as producer:
                await producer.send(
                    page("/demo/pricing", anon="new1", when=at(70)),
                    identify(anon="new1", email=email, when=at(71)),
                    track("Demo Requested", email=email, when=at(72)),
                )

                async def mql() -> bool:
                    lead = await store.get_lead(redis, email)
                    return lead is not None and lead["stage"] == "mql"

                await wait_for(mql, 40, "the new topic's lead to become an mql")
        resets = [e for e in logs if e["event"] == "partition_log_reset"]
        assert resets, "no partition_log_reset line"
        assert all(e["stored_offset"] == before[e["partition"]] for e in resets)
        assert await visitors(redis) == 11
    finally:
        await redis.aclose()


async def test_a_new_log_longer_than_the_old_one_is_told_apart_by_its_events(
    settings_factory: SettingsFactory,
    valkey: EmbeddedValkey,
    brokers: tuple[EmbeddedBroker, EmbeddedBroker],
    run_scorer: RunScorer,
) -> None:
    """The new log already reaches past the stored offset when the scorer starts: the event
    applied there is not the one at that offset now, so none of the new log is skipped."""
    old, new = brokers
    redis = aioredis.Redis.from_url(valkey.url)
    await redis.flushall()
    settings = settings_factory(
        kafka_bootstrap=old.bootstrap,
        redis_url=valkey.url,
        scorer_health_port=0,
        kafka_partitions=1,
    )
    try:
        await ensure_topics(settings)
        async with Producer(settings) as producer:
            halt = await run_scorer(settings)
            await producer.send(*[page("/demo/a", anon=f"o{i}", when=at(i)) for i in range(5)])
            await wait_for(lambda: offsets_sum(redis, settings, 5), what="the old log")
            await halt()
        assert await stored_offsets(redis, 1) == [4]
        settings = settings.model_copy(update={"kafka_bootstrap": new.bootstrap})
        await ensure_topics(settings)
        async with Producer(settings) as producer:
            await producer.send(*[page("/demo/b", anon=f"n{i}", when=at(i)) for i in range(12)])
        with capture_logs() as logs:
            halt = await run_scorer(settings)
            await wait_for(lambda: _visitors_are(redis, 17), what="every visitor of both logs")
            await halt()
        resets = [e for e in logs if e["event"] == "partition_log_reset"]
        assert [(e["partition"], e["stored_offset"], e["found"]) for e in resets] == [
            (0, 4, "another event at the stored offset")
        ]
        assert await stored_offsets(redis, 1) == [11]
    finally:
        await redis.aclose()


async def _visitors_are(redis: aioredis.Redis, count: int) -> bool:
    return await visitors(redis) == count
