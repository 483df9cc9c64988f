"""`rescore`: rebuilding from the topic with new rules equals a fresh run with those rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.kafka import ensure_topics
from leadpulse.kernel.schema import EventEnvelope
from leadpulse.kernel.settings import Settings
from scorer import rescore
from scorer.read import store
from scorer.runtime.rescore import wipe_state
from tests.integration.scorer.conftest import Producer, ScorerStarter, wait_for
from tests.unit.scorer.events import at, crm, forget, identify, page, track

PEOPLE = [f"r{n}@rescore{n % 3}.example" for n in range(6)]


def _events() -> list[EventEnvelope]:
    events: list[EventEnvelope] = []
    for n, email in enumerate(PEOPLE):
        events += [
            page("/demo/pricing", anon=f"rb{n}", when=at(n)),
            page("/demo/compare/a", anon=f"rb{n}", when=at(n + 1)),
            identify(anon=f"rb{n}", email=email, when=at(n + 2), traits={"title": "Director"}),
            track("Email Link Clicked", email=email, when=at(n + 3), utm_source="mail"),
        ]
    events.append(crm("lost", email=PEOPLE[0], when=at(30)))
    events += [page("/demo/pricing/x", email=PEOPLE[0], when=at(40 + i)) for i in range(3)]
    return events


def _richer_pricing(config: LeadPulseConfig) -> LeadPulseConfig:
    model = config.scoring.models[0]
    rules = [
        r.model_copy(update={"points": 40, "cap": None}) if r.name == "pricing_page" else r
        for r in model.rules
    ]
    models = [model.model_copy(update={"rules": rules, "threshold": 60})]
    return config.model_copy(
        update={"scoring": config.scoring.model_copy(update={"models": models})}
    )


async def _state(redis: Any) -> dict[str, Any]:
    leads = {}
    for email in PEOPLE:
        lead = await store.get_lead(redis, email)
        if lead is not None:
            leads[email] = (
                lead["stage"],
                [h["stage"] for h in lead["stage_history"]],
                sorted((r["rule"], round(r["points"], 1)) for r in lead["score"]["breakdown"]),
                sorted(e["id"] for e in lead["timeline"]),
            )
    funnel = await store.get_funnel(redis, start=at(0).date(), end=at(0).date())
    return {
        "leads": leads,
        "funnel": funnel["stages"],
        "total": (await store.list_leads(redis))["total"],
    }


# Every person's four events, and the first person's lost deal and three visits after it.
TIMELINE = {email: 8 if n == 0 else 4 for n, email in enumerate(PEOPLE)}


async def _settled(redis: Any, people: int) -> bool:
    """The first `people` people are stored with every event each was sent."""
    total = (await store.list_leads(redis))["total"]
    if total != people:
        return False
    for email in PEOPLE[:people]:
        lead = await store.get_lead(redis, email)
        if lead is None or len(lead["timeline"]) != TIMELINE[email]:
            return False
    return True


async def test_rescore_after_a_rule_change_equals_a_fresh_run(
    scorer_settings: Settings,
    config: LeadPulseConfig,
    produce: Any,
    start_scorer: ScorerStarter,
    redis: Any,
) -> None:
    """Old rules, then rescore with new rules == a fresh run with the new rules; forgotten
    people stay forgotten."""
    events = _events()
    await produce(*events)
    halt = await start_scorer()
    await wait_for(lambda: _settled(redis, 6), what="the first run")
    await produce(forget(PEOPLE[5], when=datetime.now(UTC)))
    await wait_for(lambda: _settled(redis, 5), what="the forget")
    await halt()
    before = await _state(redis)
    new_rules = _richer_pricing(config)
    progress: list[tuple[int, int]] = []
    applied = await rescore(
        scorer_settings, new_rules, lambda done, total: progress.append((done, total))
    )
    assert applied >= len(events) - 4  # the forgotten person's events are dropped
    assert progress and progress[-1][0] == progress[-1][1]
    rescored = await _state(redis)
    assert rescored != before
    assert PEOPLE[5] not in rescored["leads"]

    fresh = scorer_settings.model_copy(
        update={
            "topic_events": scorer_settings.topic_events + ".fresh",
            "scorer_group": scorer_settings.scorer_group + ".fresh",
        }
    )
    await ensure_topics(fresh)
    # A fresh run starts from empty state, but the forget list is not state: it stays.
    await wipe_state(redis, fresh.kafka_partitions)
    async with Producer(fresh) as producer:
        await producer.send(*events)
        await producer.send(forget(PEOPLE[5], when=datetime.now(UTC)))
    await start_scorer(fresh, new_rules)
    await wait_for(lambda: _settled(redis, 5), what="the fresh run")
    assert await _state(redis) == rescored
