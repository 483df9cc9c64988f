"""Reporting periods: the from/to/grain a person picks, checked, and cut into buckets."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Literal

__all__ = ["Grain", "buckets", "parse_period"]

Grain = Literal["day", "week", "month"]
DEFAULT_DAYS = 30
MAX_BUCKETS = 120


def parse_period(
    start: str | None, end: str | None, grain: str | None, today: date | None = None
) -> tuple[date, date, Grain, str | None]:
    """(start, end, grain, problem): bad input falls back to the last 30 days, with a note."""
    today = today or datetime.now(UTC).date()
    problem = None
    try:
        last = date.fromisoformat(end) if end else today
        first = date.fromisoformat(start) if start else last - timedelta(days=DEFAULT_DAYS - 1)
    except ValueError:
        first, last = today - timedelta(days=DEFAULT_DAYS - 1), today
        problem = "from/to must be dates like 2026-11-01; showing the last 30 days"
    if first > last:
        first, last = last, first
    chosen: Grain = grain if grain in ("day", "week", "month") else "day"  # type: ignore[assignment]
    return first, last, chosen, problem


def buckets(start: date, end: date, grain: Grain) -> list[tuple[date, date]]:
    """Consecutive [low, high] date spans covering start..end, at most MAX_BUCKETS of them."""
    spans: list[tuple[date, date]] = []
    low = start
    while low <= end and len(spans) < MAX_BUCKETS:
        if grain == "day":
            high = low
        elif grain == "week":
            high = low + timedelta(days=6 - low.weekday())
        else:
            next_month = (low.replace(day=28) + timedelta(days=4)).replace(day=1)
            high = next_month - timedelta(days=1)
        high = min(high, end)
        spans.append((low, high))
        low = high + timedelta(days=1)
    return spans
