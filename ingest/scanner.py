"""Is an email open or click a person, or a security scanner / mail proxy?

Scanners open and click every link within seconds of delivery, send HEAD or prefetch
requests, or announce themselves in the user agent. Such events are kept but flagged, so
they score nothing later. `scanner_reason` is pure; `EmailActivity` keeps the little state
the timing rules need (last open, recent distinct clicks) in Valkey under `lp:edge:`, the
edge's own keys, hash-tagged per recipient and campaign so they live in one cluster slot.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import structlog

from leadpulse.kernel.config.collect import ScannerConfig
from leadpulse.kernel.valkey import VALKEY_FAILED, Valkey

__all__ = ["ActivityFacts", "EmailActivity", "is_prefetch", "scanner_reason"]

log = structlog.get_logger(__name__)

_STATE_TTL_SECONDS = 7 * 86400


def is_prefetch(headers: Any) -> bool:
    """Browsers and mail clients mark speculative fetches in one of these headers."""
    for name in ("sec-purpose", "purpose", "x-purpose", "x-moz"):
        value = str(headers.get(name, "")).lower()
        if "prefetch" in value or "preview" in value:
            return True
    return False


@dataclass(frozen=True, slots=True)
class ActivityFacts:
    """Timing facts for one open or click; None when unknown."""

    seconds_since_send: float
    seconds_since_open: float | None = None
    distinct_links_in_burst: int = 1


def scanner_reason(
    method: str,
    prefetch: bool,
    user_agent: str | None,
    facts: ActivityFacts,
    config: ScannerConfig,
    *,
    click: bool,
) -> str | None:
    """Why this looks like a scanner (a short reason), or None for a person."""
    if method.upper() == "HEAD":
        return "head_request"
    if prefetch:
        return "prefetch"
    agent = (user_agent or "").lower()
    if not agent:
        return "no_user_agent"
    if any(marker in agent for marker in config.user_agents):
        return "scanner_user_agent"
    if facts.seconds_since_send < config.min_seconds_after_send:
        return "too_soon_after_send"
    if click:
        if (
            facts.seconds_since_open is not None
            and facts.seconds_since_open < config.min_seconds_after_open
        ):
            return "too_soon_after_open"
        if facts.distinct_links_in_burst >= config.burst_links:
            return "link_burst"
    return None


class EmailActivity:
    """Opens and clicks per (recipient, campaign), remembered for the timing rules."""

    def __init__(self, redis: Valkey, config: ScannerConfig) -> None:
        self._redis = redis
        self._config = config

    @staticmethod
    def _tag(email: str, campaign: str | None) -> str:
        digest = hashlib.blake2b(f"{email.lower()}|{campaign or ''}".encode(), digest_size=12)
        return "lp:edge:{" + digest.hexdigest() + "}"

    async def opened(
        self, email: str, campaign: str | None, sent_at: float, now: float
    ) -> ActivityFacts:
        facts = ActivityFacts(seconds_since_send=now - sent_at)
        try:
            await self._redis.set(
                f"{self._tag(email, campaign)}:open", repr(now), ex=_STATE_TTL_SECONDS
            )
        except VALKEY_FAILED as exc:
            log.warning("email_activity_unavailable", error=type(exc).__name__)
        return facts

    async def clicked(
        self, email: str, campaign: str | None, url: str, sent_at: float, now: float
    ) -> ActivityFacts:
        tag = self._tag(email, campaign)
        link = hashlib.blake2b(url.encode(), digest_size=8).hexdigest()
        clicks = f"{tag}:clicks"
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.get(f"{tag}:open")
                pipe.zadd(clicks, {link: now})
                pipe.zremrangebyscore(clicks, "-inf", now - self._config.burst_seconds)
                pipe.zcard(clicks)
                pipe.expire(clicks, _STATE_TTL_SECONDS)
                opened, _, _, distinct, _ = await pipe.execute()
        except VALKEY_FAILED as exc:
            log.warning("email_activity_unavailable", error=type(exc).__name__)
            return ActivityFacts(seconds_since_send=now - sent_at)
        since_open = now - float(opened) if opened is not None else None
        return ActivityFacts(
            seconds_since_send=now - sent_at,
            seconds_since_open=since_open,
            distinct_links_in_burst=int(distinct),
        )
