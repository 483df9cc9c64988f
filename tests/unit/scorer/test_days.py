"""Per-day text (funnel days, cap periods) cached per UTC day: always what the formatter says."""

from __future__ import annotations

from datetime import UTC, datetime

from scorer.core.days import PerDay
from tests.unit.scorer.effects import DAY

MIDNIGHT = datetime(2026, 3, 3, tzinfo=UTC).timestamp()


def _date(t: float, fmt: str) -> str:
    return datetime.fromtimestamp(t, UTC).strftime(fmt)


def test_times_around_midnight_get_the_formatters_day_even_after_the_day_is_cached() -> None:
    """A time a hair before midnight rounds to the next day in datetime: so does the cache."""
    days = PerDay(_date)
    assert days(MIDNIGHT - 3600, "%Y-%m-%d") == "2026-03-02"
    for t in (MIDNIGHT - 1e-7, MIDNIGHT - 0.0004, MIDNIGHT, MIDNIGHT + 1e-7, MIDNIGHT - 1.5):
        assert days(t, "%Y-%m-%d") == _date(t, "%Y-%m-%d")


def test_each_format_of_a_day_is_its_own_text() -> None:
    days = PerDay(_date)
    t = MIDNIGHT + 0.5 * DAY
    assert days(t, "%Y-%m-%d") == "2026-03-03"
    assert days(t, "%G-W%V") == "2026-W10"
    assert days(t, "%Y-%m-%d") == "2026-03-03"


def test_a_day_is_formatted_once_until_the_cache_is_full() -> None:
    calls: list[float] = []

    def counted(t: float, fmt: str) -> str:
        calls.append(t)
        return _date(t, fmt)

    days = PerDay(counted, limit=2)
    for hour in range(1, 20):
        days(MIDNIGHT + hour * 3600, "%Y-%m-%d")
    assert len(calls) == 1
    texts = [days(MIDNIGHT + n * DAY + 60, "%Y-%m-%d") for n in range(5)]
    assert texts == ["2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06", "2026-03-07"]
    assert days(MIDNIGHT + 3 * DAY + 60, "%Y-%m-%d") == "2026-03-06"
