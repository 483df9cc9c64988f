"""Poison messages: parked on the events dead-letter topic with their reason; the
partition moves on, and the offset stored with the state passes them."""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

import scorer.core.behavior
from leadpulse.kernel.kafka import producer_options
from leadpulse.kernel.settings import Settings
from leadpulse.kernel.wire import Envelope
from scorer.read import store
from scorer.runtime.dead_letters import ParkedEvent, list_parked, replay_parked
from scorer.storage.keys import PartitionKeys
from tests.integration.scorer.conftest import ScorerStarter, wait_for
from tests.unit.scorer.events import at, page, published

POISON = b"\xff not json"


async def _send(settings: Settings, *records: tuple[bytes, bytes | Envelope]) -> list[int]:
    """(key, value) records on partition 0 of the events topic, in order; their offsets."""
    producer = AIOKafkaProducer(**producer_options(settings))
    await producer.start()
    offsets = []
    try:
        for key, value in records:
            raw = published(value) if isinstance(value, Envelope) else value
            meta = await producer.send_and_wait(
                settings.topics.events, raw, key=key, partition=0, headers=[("origin", b"test")]
            )
            offsets.append(meta.offset)
    finally:
        await producer.stop()
    return offsets


async def _stored_offset(redis: Any) -> int:
    raw = await redis.get(PartitionKeys(0).offset)
    return int(raw) if raw is not None else -1


async def _parked(settings: Settings, count: int) -> list[ParkedEvent]:
    found: list[ParkedEvent] = []

    async def enough() -> bool:
        found[:] = await list_parked(settings)
        return len(found) >= count

    await wait_for(enough, what=f"{count} parked events")
    return found


async def test_undecodable_messages_are_parked_and_the_events_after_them_apply(
    scorer_settings: Settings, start_scorer: ScorerStarter, redis: Any
) -> None:
    """Values that are not envelopes land on the events DLQ as sent, with their reason and
    source offsets; the event after them on the partition is applied."""
    after = page("/demo/blog/a", anon="after-poison", when=at(0))
    *poisoned, last = await _send(
        scorer_settings, (b"anon:x", POISON), (b"anon:y", b"{}"), (b"anon:x", after)
    )
    await start_scorer()
    await wait_for(lambda: _past(redis, last), what="the partition past the poison")
    assert await store.get_lead(redis, "anon:after-poison") is not None
    first, second = sorted(await _parked(scorer_settings, 2), key=lambda letter: letter.offset)
    assert [(first.partition, first.offset), (second.partition, second.offset)] == [
        (0, poisoned[0]),
        (0, poisoned[1]),
    ]
    assert {first.reason, second.reason} == {"undecodable"}
    assert first.topic == scorer_settings.topics.events
    assert (first.key, first.value, first.headers) == (b"anon:x", POISON, [("origin", b"test")])
    assert (second.key, second.value) == (b"anon:y", b"{}")


async def test_a_message_whose_handler_raises_is_parked_and_leaves_no_trace(
    scorer_settings: Settings,
    start_scorer: ScorerStarter,
    redis: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An envelope whose handler raises is parked with the error; nothing of it is written
    (not even the lead it started), and the events around it on the partition apply."""
    real = scorer.core.behavior.apply_event

    def failing(log: Any, state: Any, rules: Any, facts: Any, *rest: Any, **kw: Any) -> None:
        if facts.event_id == "evt-poison":
            raise ValueError("cannot score this")
        real(log, state, rules, facts, *rest, **kw)

    monkeypatch.setattr(scorer.core.behavior, "apply_event", failing)
    before = page("/demo/blog/a", anon="before", when=at(0))
    poison = page("/demo/pricing", anon="poisoned", when=at(1), event_id="evt-poison")
    after = page("/demo/blog/b", anon="after", when=at(2))
    records = [(b"anon:before", before), (b"anon:poisoned", poison), (b"anon:after", after)]
    _, poison_offset, last = await _send(scorer_settings, *records)
    await start_scorer()
    await wait_for(lambda: _past(redis, last), what="the partition past the poison")
    assert await store.get_lead(redis, "anon:before") is not None
    assert await store.get_lead(redis, "anon:after") is not None
    assert await store.get_lead(redis, "anon:poisoned") is None
    [letter] = await _parked(scorer_settings, 1)
    assert (letter.reason, letter.offset) == ("handler_failed", poison_offset)
    assert letter.detail == "ValueError: cannot score this"
    assert letter.value == published(poison)


async def test_a_replayed_event_applies_once_its_cause_is_fixed(
    scorer_settings: Settings,
    start_scorer: ScorerStarter,
    redis: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`replay_parked` puts a parked event back on the events topic; with the cause gone
    (the failing handler restored) it is applied."""
    real = scorer.core.behavior.apply_event
    broken = {"yes": True}

    def failing(log: Any, state: Any, rules: Any, facts: Any, *rest: Any, **kw: Any) -> None:
        if broken["yes"] and facts.event_id == "evt-later":
            raise ValueError("not yet")
        real(log, state, rules, facts, *rest, **kw)

    monkeypatch.setattr(scorer.core.behavior, "apply_event", failing)
    event = page("/demo/pricing", anon="later", when=at(1), event_id="evt-later")
    [offset] = await _send(scorer_settings, (b"anon:later", event))
    await start_scorer()
    [letter] = await _parked(scorer_settings, 1)
    assert letter.id == f"0:{offset}"
    broken["yes"] = False
    assert await replay_parked(scorer_settings, [letter.id]) == 1

    async def applied() -> bool:
        return await store.get_lead(redis, "anon:later") is not None

    await wait_for(applied, what="the replayed event applied")


async def _past(redis: Any, offset: int) -> bool:
    return await _stored_offset(redis) >= offset
