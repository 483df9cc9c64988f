"""Builders of event envelopes as ingest publishes them and the scorer reads them (its
`wire.Envelope`: validated by ingest's model, encoded, then read back), for its tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from leadpulse.kernel.schema import EventEnvelope, decode, encode
from leadpulse.kernel.wire import Envelope, read_envelope, write_envelope

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_ids = itertools.count()


def at(minutes: float = 0, days: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, days=days)


def envelope(
    type_: str,
    *,
    anon: str | None = None,
    email: str | None = None,
    user: str | None = None,
    crm: str | None = None,
    event: str | None = None,
    path: str | None = None,
    when: datetime | None = None,
    properties: dict[str, Any] | None = None,
    traits: dict[str, Any] | None = None,
    utm_source: str | None = None,
    utm_campaign: str | None = None,
    bot: bool = False,
    event_id: str | None = None,
    source: str = "segment",
    previous_id: str | None = None,
) -> Envelope:
    when = when or T0
    context: dict[str, Any] = {"campaign": {"source": utm_source, "name": utm_campaign}}
    if path is not None:
        context.update(path=path, url=f"https://site.example{path}")
    published = EventEnvelope.model_validate(
        {
            "event_id": event_id or f"evt-{next(_ids)}",
            "type": type_,
            "event": event,
            "source": source,
            "identity": {"anonymous_id": anon, "email": email, "user_id": user, "crm_lead_id": crm},
            "properties": properties or {},
            "traits": traits or {},
            "context": context,
            "flags": {"bot": bot, "noise_reason": "bot" if bot else None},
            "timestamp": when,
            "received_at": when,
            "previous_id": previous_id,
        }
    )
    return read_envelope(encode(published))


def published(event: Envelope | EventEnvelope) -> bytes:
    """The event as ingest puts it on the topic (its pydantic model's JSON)."""
    if isinstance(event, EventEnvelope):
        return encode(event)
    return encode(decode(EventEnvelope, write_envelope(event)))


def page(path: str = "/demo/blog/a", **kw: Any) -> Envelope:
    return envelope("page", path=path, **kw)


def track(event: str, **kw: Any) -> Envelope:
    return envelope("track", event=event, **kw)


def identify(**kw: Any) -> Envelope:
    return envelope("identify", **kw)


def crm(outcome: str, **kw: Any) -> Envelope:
    return envelope("crm", event=outcome, source="crm", **kw)


def forget(email: str, **kw: Any) -> Envelope:
    """DELETE /v1/leads/{id} as it reaches the scorer: forget this person."""
    return envelope("forget", email=email, source="api", **kw)
