"""The scorer tells CRM connectors about a lead's changes through its outbox."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer

from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.config.routing import Destination
from leadpulse.kernel.lead_change import LeadChange
from leadpulse.kernel.schema import decode
from leadpulse.kernel.settings import Settings
from scorer.core.effects import Outbound
from scorer.runtime.outbox import Outbox
from tests.integration.scorer.conftest import ScorerStarter, read_alerts
from tests.unit.scorer.events import at, page, track


async def read_changes(
    settings: Settings, done: Any, within: float = 20.0, quiet: float = 0.5
) -> list[LeadChange]:
    """Each distinct lead change on the topic once `done(changes)` holds (then `quiet` s more).

    The outbox publishes at least once: after a rebalance or a failed delete it publishes
    a pending change again, with the same `change_id`, which the router's CRM consumer
    writes once (a lead's change of a seq it already holds is no news). So a change counts
    once by its id, as a CRM sees it.
    """
    consumer = AIOKafkaConsumer(
        settings.topics.lead_changes,
        bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    changes: list[LeadChange] = []
    seen: set[str] = set()
    try:
        deadline = time.monotonic() + within
        quiet_until: float | None = None
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                for record in records:
                    change = decode(LeadChange, record.value)
                    if change.change_id not in seen:
                        seen.add(change.change_id)
                        changes.append(change)
            if quiet_until is None and done(changes):
                quiet_until = time.monotonic() + quiet
            if quiet_until is not None and time.monotonic() >= quiet_until:
                return sorted(changes, key=lambda c: (c.lead_id, c.seq))
            await asyncio.sleep(0)
    finally:
        await consumer.stop()
    raise AssertionError(f"timed out: {len(changes)} changes read")


def with_hubspot(config: LeadPulseConfig, step: float | None = None) -> LeadPulseConfig:
    """The config with a HubSpot destination: lead changes are published only then."""
    routing = config.routing.model_copy(
        update={"destinations": [Destination(name="hubspot", type="hubspot")]}
    )
    crm = config.crm.model_copy(update={"score_step": step or config.crm.score_step})
    return config.model_copy(update={"routing": routing, "crm": crm})


async def test_a_demo_request_sends_one_change_with_stage_score_reasons_and_alert(
    scorer_settings: Settings, produce: Any, start_scorer: ScorerStarter, config: LeadPulseConfig
) -> None:
    """The mql change carries the stage, the score, the top reasons and the alert type."""
    await start_scorer(cfg=with_hubspot(config))
    email = "carl@initech.example"
    await produce(page("/demo/pricing", email=email, when=at(0)))
    await read_changes(scorer_settings, lambda cs: len(cs) >= 1)
    await produce(track("Demo Requested", email=email, when=at(1)))
    changes = await read_changes(scorer_settings, lambda cs: any(c.stage == "mql" for c in cs))
    assert [c.stage for c in changes] == ["lead", "mql"]
    mql = changes[-1]
    assert mql.seq == 1 and mql.email == email and mql.last_alert == "mql"
    assert {"stage", "alert"} <= set(mql.causes)
    assert mql.score > changes[0].score and mql.score == round(mql.engagement + mql.fit, 2)
    assert "demo_requested" in {r.rule for r in mql.top_reasons}
    assert len(mql.top_reasons) <= 3 and mql.reasons_text


async def test_small_score_moves_wait_for_a_whole_step(
    scorer_settings: Settings,
    produce: Any,
    start_scorer: ScorerStarter,
    config: LeadPulseConfig,
) -> None:
    """Many page views on one stage: a change only when the score moved `score_step`."""
    step = 4.0
    await start_scorer(cfg=with_hubspot(config, step))
    email = "dee@hooli.example"
    pages = [f"/demo/blog/post-{i}" for i in range(30)]
    await produce(*[page(path, email=email, when=at(i)) for i, path in enumerate(pages)])
    changes = await read_changes(scorer_settings, lambda cs: len(cs) >= 1, quiet=2.0)
    assert changes[0].causes == ["stage"]
    assert len(changes) < len(pages)
    for before, after in itertools.pairwise(changes):
        assert after.stage != before.stage or abs(after.score - before.score) >= step
    assert [c.seq for c in changes] == list(range(len(changes)))


class _DeleteLost:
    """A Valkey client whose deletes time out: the outbox keeps what it published."""

    def __init__(self, redis: Any) -> None:
        self._redis = redis

    def __getattr__(self, name: str) -> Any:
        return getattr(self._redis, name)

    async def hdel(self, *args: Any) -> int:
        raise TimeoutError("the delete's reply was lost")


async def test_a_change_published_again_reaches_a_crm_once(
    scorer_settings: Settings,
    produce: Any,
    start_scorer: ScorerStarter,
    config: LeadPulseConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The outbox's delete of a published change fails: the next flush publishes it again
    (at least once), and a reader counting by change_id still sees each change once."""
    publish = Outbox.publish
    failed: list[int] = []

    async def publish_losing_one_delete(
        outbox: Outbox, partition: int, messages: list[Outbound]
    ) -> None:
        if failed or not any(m.topic == "lead_changes" for m in messages):
            return await publish(outbox, partition, messages)
        failed.append(partition)
        redis, outbox._redis = outbox._redis, _DeleteLost(outbox._redis)
        try:
            await publish(outbox, partition, messages)
        finally:
            outbox._redis = redis

    monkeypatch.setattr(Outbox, "publish", publish_losing_one_delete)
    await start_scorer(cfg=with_hubspot(config, 4.0))
    email = "fay@hooli.example"
    await produce(*[page(f"/demo/blog/post-{i}", email=email, when=at(i)) for i in range(30)])
    changes = await read_changes(scorer_settings, lambda cs: len(cs) >= 1, quiet=2.0)
    assert failed
    assert [c.seq for c in changes] == list(range(len(changes)))
    assert len({c.change_id for c in changes}) == len(changes)


async def test_without_a_crm_destination_no_change_is_published(
    scorer_settings: Settings, produce: Any, start_scorer: ScorerStarter
) -> None:
    """The packaged config has no CRM destination: a lead reaching mql publishes no change
    (nothing would read it), and its alert still goes out."""
    await start_scorer()
    email = "erin@initech.example"
    await produce(
        page("/demo/pricing", email=email, when=at(0)),
        track("Demo Requested", email=email, when=at(1)),
    )
    alerts = await read_alerts(scorer_settings, expect=1)
    assert "mql" in {a.type for a in alerts}
    assert await read_changes(scorer_settings, lambda cs: True, quiet=2.0) == []
