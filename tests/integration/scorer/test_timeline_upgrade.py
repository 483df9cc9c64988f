"""A lead stored by an earlier version, which kept its timeline and score history in lists
of their own beside steps that did not carry them, keeps both whole once this version
applies its next events: the read API shows the old entries and points and the new, as for
a lead this version saw from the start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from leadpulse.kernel.config import load_config
from scorer.core.config import Rules
from scorer.core.state_layout import load_lead
from scorer.core.steps import SHOWN
from scorer.core.timeline import entries, score_points
from scorer.read import store
from scorer.runtime.batch import Message, apply_batch
from scorer.runtime.lead_cache import LeadCache
from scorer.storage.keys import META, PartitionKeys
from scorer.storage.scripts import Scripts
from tests.unit.scorer.events import page, track

RULES = Rules.from_config(load_config().scoring)
START = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=3)


def _journey(email: str, first_offset: int) -> list[Message]:
    paths = ["/demo/blog/a", "/demo/pricing", "/demo/product", "/demo/blog/b"]
    events = [
        page(paths[n % 4], email=email, when=START + timedelta(hours=n))
        if n % 3
        else track(email=email, event="Email Opened", when=START + timedelta(hours=n))
        for n in range(12)
    ]
    return [Message(first_offset + i, e.key, e) for i, e in enumerate(events)]


async def _as_an_earlier_version_stored_it(redis: Any, email: str) -> int:
    """Rewrite the lead as an earlier version kept it: steps without their timeline and
    score points, both pushed to lists of their own. How many entries the timeline holds."""
    pk = PartitionKeys(0)
    lead_id = (await redis.hget(pk.identities, f"email:{email}")).decode()
    state = load_lead(await redis.get(pk.lead(lead_id)), None)
    shown, points = entries(state.steps), score_points(state.steps)
    state.steps = [step[:SHOWN] for step in state.steps]
    await redis.set(pk.lead(lead_id), state.stored())
    await redis.lpush(pk.timeline(lead_id), *[orjson.dumps(e) for e in reversed(shown)])
    await redis.lpush(pk.score_history(lead_id), *[orjson.dumps(p) for p in points])
    return len(shown)


async def test_a_lead_an_earlier_version_stored_keeps_its_whole_timeline(redis: Any) -> None:
    scripts = Scripts()
    await scripts.load(redis)
    await redis.hset(META, mapping={"partitions": 1})
    upgraded, reference = _journey("old@acme.example", 0), _journey("new@acme.example", 100)
    await apply_batch(redis, scripts, RULES, {0: upgraded[:7]}, LeadCache(0))
    assert await _as_an_earlier_version_stored_it(redis, "old@acme.example") == 7
    await apply_batch(redis, scripts, RULES, {0: upgraded[7:]}, LeadCache(0))
    await apply_batch(redis, scripts, RULES, {0: reference}, LeadCache(0))

    lead = await store.get_lead(redis, "old@acme.example")
    expected = await store.get_lead(redis, "new@acme.example")
    assert lead is not None and expected is not None
    assert len(lead["timeline"]) == 12
    shown = [(e["type"], e["at"], e.get("path"), e.get("points")) for e in lead["timeline"]]
    assert shown == [
        (e["type"], e["at"], e.get("path"), e.get("points")) for e in expected["timeline"]
    ]
    assert lead["score"]["total"] == expected["score"]["total"]
    assert len(lead["score_history"]) == 12  # every event of the journey scores
    assert [p["score"] for p in lead["score_history"]] == [
        p["score"] for p in expected["score_history"]
    ]
