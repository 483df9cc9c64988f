"""The last steps every ingesting endpoint shares: describe the request, drop events of
forgotten people, publish durably, count.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import structlog
from fastapi import Request

from ingest.enrich import anonymize_ip, client_ip, consent_from_headers, parse_agent
from ingest.errors import PublishUnavailable
from ingest.metrics import EVENTS_ACCEPTED, EVENTS_DROPPED
from ingest.outgoing import Outgoing
from ingest.segment import Received
from leadpulse.kernel.schema import EventEnvelope, Source
from leadpulse.kernel.valkey import VALKEY_FAILED
from scorer.read.store import is_suppressed

__all__ = ["accept_events", "accept_outgoing", "received_for", "request_ip"]

log = structlog.get_logger(__name__)


def request_ip(request: Request) -> str:
    """The client's real address (X-Forwarded-For only through trusted proxies)."""
    peer = request.client.host if request.client else None
    return client_ip(
        peer, request.headers.get("x-forwarded-for"), request.app.state.trusted_networks
    )


def received_for(request: Request, source: Source, *, trusted: bool) -> Received:
    """What the edge knows about this request, enrichment included."""
    agent = request.headers.get("user-agent")
    parsed = parse_agent(agent)
    config = request.app.state.config
    return Received(
        received_at=datetime.now(UTC),
        source=source,
        ip=anonymize_ip(request_ip(request)),
        user_agent=agent[:1024] if agent else None,
        browser=parsed.browser,
        os=parsed.os,
        device=parsed.device,
        # A secret-key caller is a server; its own agent says nothing about the person.
        bot=parsed.bot and not trusted,
        consent=consent_from_headers(
            request.headers.get("dnt"), request.headers.get("sec-gpc"), config.site
        ),
        trusted=trusted,
        max_event_bytes=config.collect.max_event_bytes,
        max_skew=timedelta(days=config.collect.max_clock_skew_days),
        user_hash_key=request.app.state.user_hash_key,
    )


async def _suppressed(request: Request, events: Sequence[Outgoing]) -> list[bool]:
    """Which events belong to forgotten people: one round trip when none do (the usual case)."""
    redis = request.app.state.redis
    try:
        every_key = sorted({key for event in events for key in event.keys})
        if not await is_suppressed(redis, every_key):
            return [False] * len(events)
        return [await is_suppressed(redis, list(event.keys)) for event in events]
    except VALKEY_FAILED as exc:
        # Forgetting is a promise: without the list we cannot keep it, so refuse for now.
        log.warning("suppression_check_unavailable", error=type(exc).__name__)
        raise PublishUnavailable("the suppression list cannot be checked") from exc


async def accept_events(request: Request, events: Sequence[EventEnvelope], source: Source) -> int:
    """`accept_outgoing` for envelopes built as models (the one-event channels)."""
    return await accept_outgoing(request, [Outgoing.of(event) for event in events], source)


async def accept_outgoing(request: Request, events: Sequence[Outgoing], source: Source) -> int:
    """Publish the events of people not forgotten; return how many were accepted.

    Returns after every published event is durable; raises PublishUnavailable otherwise.
    """
    if not events:
        return 0
    suppressed = await _suppressed(request, events)
    keep = [event for event, drop in zip(events, suppressed, strict=True) if not drop]
    if len(keep) < len(events):
        EVENTS_DROPPED.labels("suppressed", source).inc(len(events) - len(keep))
    await request.app.state.publisher.publish_many(keep)
    EVENTS_ACCEPTED.labels(source).inc(len(events))
    return len(events)
