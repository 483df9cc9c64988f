"""The simulator's buyer journeys: realistic shape, repeatable, always in time order."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from leadpulse.dev.journeys import make_journeys, make_population

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def test_same_seed_gives_the_same_journeys() -> None:
    """A seed makes a run repeatable, so a demo can be reproduced."""
    assert make_journeys(50, seed=3, now=NOW) == make_journeys(50, seed=3, now=NOW)


def test_steps_are_in_time_order_within_the_last_four_weeks() -> None:
    """Steps come sorted by time, none after now and none older than 28 days (ingest
    refuses timestamps more than 30 days off), and each body carries its step's time."""
    steps = make_journeys(300, now=NOW)
    times = [s.at for s in steps]
    assert times == sorted(times)
    assert max(times) < NOW
    assert min(times) >= NOW - timedelta(days=28)
    for step in steps:
        stamp = step.body.get("timestamp") or step.body.get("occurred_at")
        assert datetime.fromisoformat(stamp) == step.at


def test_journeys_cover_every_channel_and_sales_outcome() -> None:
    """2,000 journeys hold anonymous pages, identifies, email, webinars, demos and every
    CRM outcome, in plausible proportions."""
    steps = make_journeys(2000, now=NOW)
    kinds = Counter((s.channel, s.body.get("event") or s.body.get("type")) for s in steps)
    identifies = kinds[("segment", "identify")]
    assert 1400 < identifies < 1800  # about 80% identify
    assert kinds[("segment", "Demo Requested")] > 100
    assert kinds[("segment", "Webinar Attended")] > 100
    for outcome in (
        "accepted",
        "qualified",
        "opportunity",
        "won",
        "lost",
        "not_now",
        "disqualified",
    ):
        assert kinds[("crm", outcome)] > 0, outcome
    assert kinds[("segment", "page")] > 5000


def test_crm_events_name_the_lead_by_email() -> None:
    """Every CRM outcome carries the email the journey identified with, and an owner."""
    steps = make_journeys(400, now=NOW)
    for step in steps:
        if step.channel == "crm":
            assert "@" in step.body["email"]
            assert step.body["owner"].endswith("@sales.example")


def test_won_deals_follow_the_hidden_propensity() -> None:
    """Sales win in proportion to each lead's hidden propensity: a demo's ground truth."""
    population = make_population(3000, now=NOW, to_sales=True)
    won = {s.body["email"] for s in population.steps if s.body.get("type") == "won"}
    ended = {
        s.body["email"]
        for s in population.steps
        if s.body.get("type") in ("won", "lost", "not_now", "disqualified")
    }
    assert len(ended) == 3000
    expected = sum(population.propensity[email] for email in ended)
    assert abs(len(won) - expected) < 3 * expected**0.5
    high = [e for e in ended if population.propensity[e] > 0.6]
    low = [e for e in ended if population.propensity[e] < 0.2]
    assert sum(e in won for e in high) / len(high) > 0.6
    assert sum(e in won for e in low) / len(low) < 0.2
