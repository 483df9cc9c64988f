"""A CRM outcome and the merge bringing the lead's anonymous steps, in either order, on the
real broker and Valkey: the same stage history and funnel, live and after `rescore`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.schema import EventEnvelope
from leadpulse.kernel.settings import Settings
from scorer import rescore
from scorer.read import store
from tests.integration.scorer.conftest import Producer, ScorerStarter, wait_for
from tests.unit.scorer.events import at, crm, identify, page

# The outcome first: sent with the identify, it is applied before the merge that the
# identify starts can come back. The merge first: the outcome is sent once it is done.
FIRST = {"email": "outcome.first@hooli.example", "anon": "cm-1", "day": 0}
LATER = {"email": "merge.first@hooli.example", "anon": "cm-2", "day": 2}


def _journey(who: dict[str, Any]) -> tuple[list[EventEnvelope], EventEnvelope]:
    """Identify at 1, the visitor's pages at 2, 3, 5 (anonymous), sales accepted at 4."""
    day, anon, email = who["day"], who["anon"], who["email"]
    steps = [page("/demo/pricing", anon=anon, when=at(m, days=day)) for m in (2, 3, 5)]
    steps.append(identify(anon=anon, email=email, when=at(1, days=day)))
    return steps, crm("accepted", email=email, when=at(4, days=day))


async def _lead(redis: Any, who: dict[str, Any], events: int) -> list[dict[str, Any]]:
    async def applied() -> bool:
        lead = await store.get_lead(redis, who["email"])
        return lead is not None and len(lead["timeline"]) == events

    await wait_for(applied, what=f"{events} events on {who['email']}")
    lead = await store.get_lead(redis, who["email"])
    assert lead is not None
    return [dict(h) for h in lead["stage_history"]]


def _shifted(history: list[dict[str, Any]], days: int) -> list[tuple[Any, ...]]:
    """Stages, times and reported times as offsets from the journey's day."""
    base = at(0, days=days)
    return [
        (
            h["stage"],
            h.get("reason"),
            (datetime.fromisoformat(h["at"]) - base).total_seconds(),
            None
            if "reported_at" not in h
            else (datetime.fromisoformat(h["reported_at"]) - base).total_seconds(),
        )
        for h in history
    ]


async def _flows(redis: Any, day: int) -> dict[str, int]:
    date = at(0, days=day).date()
    funnel = await store.get_funnel(redis, start=date, end=date)
    return {s["stage"]: s["flow"] for s in funnel["stages"]}


async def _both(redis: Any) -> tuple[Any, Any]:
    first = _shifted(await _lead(redis, FIRST, 5), FIRST["day"])
    later = _shifted(await _lead(redis, LATER, 5), LATER["day"])
    funnels = (await _flows(redis, FIRST["day"]), await _flows(redis, LATER["day"]))
    return (first, funnels[0]), (later, funnels[1])


async def test_an_outcome_before_or_after_the_merge_gives_one_history_live_and_rescored(
    start_scorer: ScorerStarter, scorer_settings: Settings, config: LeadPulseConfig, redis: Any
) -> None:
    first_steps, first_outcome = _journey(FIRST)
    later_steps, later_outcome = _journey(LATER)
    async with Producer(scorer_settings) as producer:
        await producer.send(*first_steps, first_outcome, *later_steps)
        halt = await start_scorer()
        await _lead(redis, FIRST, 5)
        await _lead(redis, LATER, 4)  # merged: the identify and the three pages
        await producer.send(later_outcome)
    live = await _both(redis)
    outcome_first, merge_first = live
    assert outcome_first == merge_first
    history, flows = outcome_first
    # Accepted at 4 minutes, its own date, after the pages at 2 and 3 and before the one at 5.
    assert history == [("lead", "new", 60.0, None), ("sal", "crm:accepted", 240.0, None)]
    assert (flows["lead"], flows["sal"]) == (1, 1)
    await halt()
    await rescore(scorer_settings, config)
    assert await _both(redis) == live
