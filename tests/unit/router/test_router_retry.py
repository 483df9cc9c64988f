"""Backoff grows exponentially to the cap, with bounded jitter; Retry-After is honored."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from leadpulse.kernel.config.routing import RetryPolicy
from router.retry import backoff_seconds, parse_retry_after

POLICY = RetryPolicy(attempts=6, base_seconds=0.5, cap_seconds=8, jitter=0.2)


@pytest.mark.parametrize(
    ("failed", "expected"),
    [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (9, 8.0)],
    ids=["first", "second", "third", "fourth", "at-cap", "past-cap"],
)
def test_backoff_doubles_until_the_cap(failed: int, expected: float) -> None:
    """Without jitter the delay is base * 2^(n-1), never above the cap."""
    policy = POLICY.model_copy(update={"jitter": 0})
    assert backoff_seconds(policy, failed) == pytest.approx(expected)


def test_jitter_stays_within_its_fraction() -> None:
    """Jitter spreads delays by at most +-20% and does spread them."""
    rng = random.Random(1)
    delays = [backoff_seconds(POLICY, 3, rng=rng) for _ in range(200)]
    assert min(delays) >= 2.0 * 0.8
    assert max(delays) <= 2.0 * 1.2
    assert len({round(d, 6) for d in delays}) > 100


def test_retry_after_longer_than_backoff_wins_up_to_the_cap() -> None:
    """A server's Retry-After is waited for, but no longer than the cap."""
    assert backoff_seconds(POLICY, 1, retry_after=3) == 3
    assert backoff_seconds(POLICY, 1, retry_after=3600) == POLICY.cap_seconds


@pytest.mark.parametrize(
    ("header", "expected"),
    [("7", 7.0), ("0", 0.0), ("Mon, 23 Nov 2026 10:00:30 GMT", 30.0), ("soon", None), (None, None)],
    ids=["seconds", "zero", "http-date", "garbage", "absent"],
)
def test_retry_after_parses_seconds_and_dates(header: str | None, expected: float | None) -> None:
    """Retry-After as delta-seconds or an HTTP date; anything else is ignored."""
    now = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)
    assert parse_retry_after(header, now) == expected
