"""Reporting periods picked on the dashboard."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from ingest.dashboard.periods import buckets, parse_period

TODAY = date(2026, 11, 23)


def test_default_period_is_the_last_30_days() -> None:
    """No from/to means the 30 days up to today, by day."""
    assert parse_period(None, None, None, TODAY) == (date(2026, 10, 25), TODAY, "day", None)


def test_bad_dates_fall_back_with_a_note() -> None:
    """A malformed date shows the default period and says what was wrong."""
    start, end, _, problem = parse_period("yesterday", "2026-13-01", "week", TODAY)
    assert (start, end) == (date(2026, 10, 25), TODAY)
    assert problem is not None and "from/to" in problem


def test_reversed_dates_are_swapped() -> None:
    """from after to is read as the same span."""
    assert parse_period("2026-11-10", "2026-11-01", "day", TODAY)[:2] == (
        date(2026, 11, 1),
        date(2026, 11, 10),
    )


@pytest.mark.parametrize(
    ("grain", "expected"),
    [
        ("day", 3),
        ("week", 2),
        ("month", 1),
    ],
    ids=["day", "week", "month"],
)
def test_buckets_cover_the_span_without_gaps(grain: str, expected: int) -> None:
    """Buckets tile the period exactly: first starts at from, last ends at to, no gaps."""
    spans = buckets(date(2026, 11, 14), date(2026, 11, 16), grain)  # type: ignore[arg-type]
    assert len(spans) == expected
    assert spans[0][0] == date(2026, 11, 14) and spans[-1][1] == date(2026, 11, 16)
    for (_, high), (low, _) in itertools.pairwise(spans):
        assert (low - high).days == 1


def test_month_buckets_follow_calendar_months() -> None:
    """A span over a month boundary splits at the first of the month."""
    spans = buckets(date(2026, 10, 20), date(2026, 11, 5), "month")
    assert spans == [
        (date(2026, 10, 20), date(2026, 10, 31)),
        (date(2026, 11, 1), date(2026, 11, 5)),
    ]


@pytest.mark.parametrize("grain", ["day", "week", "month"])
def test_dashboard_names_periods_as_the_funnel_report_does(grain: str) -> None:
    """The bars find their counts: the dashboard's period names equal the report's."""
    from datetime import timedelta

    from ingest.dashboard.views import _period_key
    from scorer.read.funnel_report import period_key

    for offset in range(400):
        day = date(2026, 1, 1) + timedelta(days=offset)
        assert _period_key(day, grain) == period_key(day.isoformat(), grain)  # type: ignore[arg-type]
