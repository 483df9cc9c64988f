"""Funnel accounting: the book's example, exactly, and the breakdown by channel."""

from __future__ import annotations

from typing import Any

from leadpulse.settings import Settings
from scorer import store
from tests.integration.scorer.conftest import ScorerStarter, wait_for
from tests.unit.scorer.events import at, crm, track


async def test_the_books_funnel_example(
    scorer_settings: Settings, produce: Any, start_scorer: ScorerStarter, redis: Any
) -> None:
    """10,000 leads, 70% to nurturing, 10% to dead_end: 7,000, 1,000 and a balance of 2,000."""
    emails = [f"person{i}@company{i % 97}.example" for i in range(10_000)]
    events = [track("Form Submitted", email=e, when=at(i / 100)) for i, e in enumerate(emails)]
    events += [
        track("Email Link Clicked", email=e, when=at(200), utm_source="newsletter")
        for e in emails[:7000]
    ]
    events += [crm("disqualified", email=e, when=at(300)) for e in emails[7000:8000]]
    await produce(*events)
    await start_scorer()
    day = at(0).date()

    async def settled() -> bool:
        report = await store.get_funnel(redis, start=day, end=day)
        flows = {r["stage"]: r["flow"] for r in report["stages"]}
        return flows["nurturing"] + flows["dead_end"] == 8000

    await wait_for(settled, within=50, what="18,000 events applied")
    report = await store.get_funnel(redis, start=day, end=day, by="channel")
    rows = {r["stage"]: r for r in report["stages"]}
    assert rows["lead"]["flow"] == 10_000
    assert rows["nurturing"]["flow"] == 7_000
    assert rows["dead_end"]["flow"] == 1_000
    assert rows["lead"]["balance"] == 2_000
    conversions = {(c["from"], c["to"]): c["rate"] for c in report["conversions"]}
    assert conversions[("lead", "nurturing")] == 0.7
    newsletter = next(b for b in report["breakdown"] if b["key"] == "newsletter")
    assert {s["stage"]: s["flow"] for s in newsletter["stages"]}["nurturing"] == 7_000
