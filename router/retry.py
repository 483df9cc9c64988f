"""Retry policy: exponential backoff with jitter, Retry-After honored up to the cap. Pure."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from leadpulse.kernel.config.routing import RetryPolicy

__all__ = ["backoff_seconds", "parse_retry_after"]


def backoff_seconds(
    policy: RetryPolicy,
    failed_attempts: int,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """How long to wait after the `failed_attempts`-th failure (1-based).

    base * 2^(n-1), capped, then spread by +-jitter so many routers that failed together
    do not retry together. A server's Retry-After wins when it asks for longer, but never
    past the cap: an alert waiting an hour helps no salesperson, the DLQ shows it instead.
    """
    exponential = policy.base_seconds * 2.0 ** (failed_attempts - 1)
    delay = min(policy.cap_seconds, exponential)
    spread: float = (rng or random).uniform(-policy.jitter, policy.jitter)
    delay = max(0.0, delay * (1 + spread))
    if retry_after is not None:
        delay = max(delay, min(retry_after, policy.cap_seconds))
    return delay


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date); None when absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
