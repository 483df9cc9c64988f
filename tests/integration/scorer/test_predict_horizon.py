"""Horizon negatives on the real Valkey apply path: a decision with no CRM outcome within
`predict.horizon_days` of event time becomes one negative example, once, wherever the
partition's log was cut into batches."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from leadpulse.kernel.config import load_config
from leadpulse.kernel.schema import EventEnvelope
from scorer.core.config import Rules
from scorer.core.conversion.examples import Example, decode_example
from scorer.runtime.batch import Message, apply_batch
from scorer.storage.keys import META, PartitionKeys
from scorer.storage.scripts import Scripts
from tests.unit.scorer.events import at, crm, page, track

CONFIG = load_config()
RULES = Rules.from_config(CONFIG.scoring, predict=CONFIG.predict)  # horizon: 90 days
TRAITS = {"title": "VP Marketing", "company_size": 450, "industry": "software"}


def _log(tag: str) -> list[EventEnvelope]:
    """Event times long past: quiet@ decides on day 0 and hears nothing more; won@ decides
    on day 1 and is won on day 30; late@ decides on day 2 and is won on day 120, after
    other@'s visit on day 100 took the partition's time past both horizons; new@ decides
    on day 95, its horizon still ahead."""

    def demo(who: str, day: float) -> EventEnvelope:
        return track(
            "Demo Requested",
            email=f"{who}@{tag}.example",
            traits=TRAITS,
            when=at(days=day),
            event_id=f"{tag}-demo-{who}",
        )

    return [
        demo("quiet", 0),
        demo("won", 1),
        demo("late", 2),
        crm("won", email=f"won@{tag}.example", when=at(days=30), event_id=f"{tag}-won-won"),
        demo("new", 95),
        page("/demo/blog/a", email=f"other@{tag}.example", when=at(days=100), event_id=f"{tag}-p"),
        crm("won", email=f"late@{tag}.example", when=at(days=120), event_id=f"{tag}-won-late"),
    ]


async def _examples(
    redis: Any, partition: int, events: list[EventEnvelope], batch: int
) -> list[Example]:
    """Apply the log in batches of `batch` messages; the examples it wrote to the outbox."""
    scripts = Scripts()
    await scripts.load(redis)
    await redis.hset(META, mapping={"partitions": 2})
    messages = [Message(offset, e.key, e) for offset, e in enumerate(events)]
    found: list[Example] = []
    for start in range(0, len(messages), batch):
        results = await apply_batch(
            redis, scripts, RULES, {partition: messages[start : start + batch]}
        )
        found += [
            decode_example(m.value) for m in results[partition].outbound if m.topic == "outcomes"
        ]
    return found


def _by_lead(examples: list[Example]) -> dict[str, Example]:
    return {e.example_id.split("|")[0]: e for e in examples}


@pytest.mark.parametrize("redis_target", ["single"], indirect=True)
async def test_no_outcome_within_the_horizon_is_one_negative_example(redis: Any) -> None:
    """quiet@ and late@ get a negative `no_outcome` example dated at their deadline; won@
    its positive one; late@'s win after its horizon makes no second example; new@ none."""
    examples = await _examples(redis, 0, _log("a"), batch=100)
    assert len(examples) == 3
    assert len({e.example_id for e in examples}) == 3
    by_outcome = sorted((e.outcome, e.label, e.outcome_at - e.snapshot.at) for e in examples)
    day = 86_400.0
    assert by_outcome == [
        ("no_outcome", 0, 90 * day),
        ("no_outcome", 0, 90 * day),
        ("won", 1, 29 * day),
    ]
    # Only new@'s decision is still waiting for its horizon.
    (waiting,) = await redis.zrange(PartitionKeys(0).horizon, 0, -1)
    assert waiting.decode().split("|")[1] == repr(at(days=95).timestamp())


@pytest.mark.parametrize("redis_target", ["single"], indirect=True)
async def test_the_examples_do_not_depend_on_how_the_log_was_batched(redis: Any) -> None:
    """The same log applied in one batch and one message per batch (the timers then come
    back from Valkey, their leads untouched by the message that fires them) gives the same
    examples, byte for byte."""
    whole = await _examples(redis, 0, _log("b"), batch=100)
    single = await _examples(redis, 1, _log("b"), batch=1)
    assert sorted(map(repr, whole)) == sorted(map(repr, single))
    assert len(whole) == 3


@pytest.mark.parametrize("redis_target", ["single"], indirect=True)
async def test_a_decision_made_by_a_late_event_gets_its_horizon(redis: Any) -> None:
    """A demo request that arrives after a later visit re-walks the lead's stages (mql on
    day 1): that decision, too, ends as a negative once the partition's time passes day 91."""
    email = "walked@c.example"
    log = [
        page("/demo/blog/a", email=email, traits=TRAITS, when=at(days=0), event_id="c-p0"),
        page("/demo/blog/b", email=email, when=at(days=50), event_id="c-p50"),
        track("Demo Requested", email=email, when=at(days=1), event_id="c-demo"),
        page("/demo/blog/a", email="other@c.example", when=at(days=100), event_id="c-other"),
    ]
    (example,) = await _examples(redis, 0, log, batch=100)
    assert example.outcome == "no_outcome" and example.label == 0
    assert example.snapshot.at == at(days=1).timestamp()


@pytest.mark.parametrize("redis_target", ["single"], indirect=True)
async def test_a_client_clock_ahead_closes_no_decision(redis: Any) -> None:
    """A visit dated day 100 by a client whose clock runs ahead, received on day 5, does
    not move the partition's time past the day-0 decision's horizon: the win on day 20 is
    its example."""
    email = "ahead@d.example"
    skewed = page("/demo/blog/a", email="fast@d.example", when=at(days=5), event_id="d-p")
    log = [
        track("Demo Requested", email=email, traits=TRAITS, when=at(days=0), event_id="d-demo"),
        msgspec.structs.replace(skewed, timestamp=at(days=100)),
        crm("won", email=email, when=at(days=20), event_id="d-won"),
    ]
    (example,) = await _examples(redis, 0, log, batch=100)
    assert example.outcome == "won" and example.label == 1


@pytest.mark.parametrize("redis_target", ["single"], indirect=True)
async def test_a_decision_re_walked_behind_the_watermark_ends_at_the_next_message(
    redis: Any,
) -> None:
    """The partition's time is day 100 when a late demo request puts a decision on day 1:
    its horizon (day 91) has passed already, so it ends at the next message, even one
    dated earlier still."""
    email = "behind@e.example"
    log = [
        page("/demo/blog/a", email=email, traits=TRAITS, when=at(days=0), event_id="e-p0"),
        page("/demo/blog/a", email="other@e.example", when=at(days=100), event_id="e-o"),
        page("/demo/blog/b", email=email, when=at(days=50), event_id="e-p50"),
        track("Demo Requested", email=email, when=at(days=1), event_id="e-demo"),
        page("/demo/blog/c", email="third@e.example", when=at(days=2), event_id="e-t"),
    ]
    (example,) = await _examples(redis, 0, log, batch=100)
    assert example.outcome == "no_outcome"
    assert example.snapshot.at == at(days=1).timestamp()
