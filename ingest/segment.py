"""Turn one Segment-spec message (track, identify, page, screen, group, alias) into an envelope.

Pure: the request's facts come in as `Received`; the envelope (or, on the hot path, its
encoded bytes: `outgoing_from_segment`) or a `BadInput` naming the field comes out.
`messageId` is kept as the event id (a UUID when absent) so a client's retry deduplicates
downstream; `timestamp` is corrected for the client's clock skew as Segment does:
timestamp + (received_at - sentAt).
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import orjson
from pydantic import ValidationError

from ingest.enrich import anonymize_ip, parse_agent
from ingest.errors import BadInput
from ingest.outgoing import Outgoing, encode_document
from ingest.segment_fields import (
    parse_time,
    read_campaign,
    read_email,
    read_id,
    read_object,
    read_text,
)
from leadpulse.kernel.schema import (
    SCHEMA_VERSION,
    Consent,
    EventEnvelope,
    EventFlags,
    Source,
    canonical_email,
    identity_keys,
)

__all__ = [
    "SEGMENT_TYPES",
    "Received",
    "envelope_from_segment",
    "outgoing_from_segment",
    "parse_time",
    "user_hash",
]

SEGMENT_TYPES = frozenset({"track", "identify", "page", "screen", "group", "alias"})


@dataclass(frozen=True, slots=True)
class Received:
    """What the edge knows about the request an event came in."""

    received_at: datetime
    source: Source
    ip: str | None  # already anonymized
    user_agent: str | None
    browser: str | None
    os: str | None
    device: str | None
    bot: bool
    consent: Consent
    trusted: bool
    max_event_bytes: int
    max_skew: timedelta
    # Key of `context.userHash` (HMAC-SHA256 of the userId, else the email, by the site's
    # backend): a matching hash makes a write-key identity verified. None: not offered.
    user_hash_key: bytes | None = None


def user_hash(key: bytes, identity: str) -> str:
    """What a site's backend puts in `context.userHash` for a signed-in person."""
    return hmac.new(key, identity.encode(), hashlib.sha256).hexdigest()


def _hash_matches(given: Any, identity: str | None, received: Received) -> bool:
    if not isinstance(given, str) or identity is None or received.user_hash_key is None:
        return False
    return hmac.compare_digest(given.encode(), user_hash(received.user_hash_key, identity).encode())


def _flags(bot: bool, consent: Consent, trusted: bool) -> dict[str, Any]:
    """Flags repeat across a request's events: one document per combination, shared."""
    # Keyed by plain booleans: hashing and comparing the model per event costs more.
    return _flags_of(
        bot,
        consent.do_not_track,
        consent.global_privacy_control,
        consent.tracking_allowed,
        trusted,
    )


@lru_cache(maxsize=64)
def _flags_of(
    bot: bool, do_not_track: bool, gpc: bool, tracking_allowed: bool, trusted: bool
) -> dict[str, Any]:
    consent = Consent(
        do_not_track=do_not_track,
        global_privacy_control=gpc,
        tracking_allowed=tracking_allowed,
    )
    flags = EventFlags(
        bot=bot,
        noise_reason="bot" if bot else None,
        consent=consent,
        identity_trust="verified" if trusted else "claimed",
    )
    return flags.model_dump(mode="json", exclude_none=True)


@lru_cache(maxsize=1024)
def _agent_context(
    ip: str | None,
    user_agent: str | None,
    browser: str | None,
    os_name: str | None,
    device: str | None,
) -> dict[str, str]:
    """The start of EventContext's document: the same for most events of a request."""
    pairs = (
        ("ip", ip),
        ("user_agent", user_agent),
        ("browser", browser),
        ("os", os_name),
        ("device", device),
    )
    return {name: value for name, value in pairs if value is not None}


def _event_time(
    message: dict[str, Any], batch_sent_at: datetime | None, received: Received, prefix: str
) -> datetime:
    timestamp = parse_time(message.get("timestamp"), "timestamp", prefix) or parse_time(
        message.get("originalTimestamp"), "originalTimestamp", prefix
    )
    sent_at = parse_time(message.get("sentAt"), "sentAt", prefix) or batch_sent_at
    if timestamp is None:
        return received.received_at
    if sent_at is not None:
        timestamp += received.received_at - sent_at
    if abs(timestamp - received.received_at) > received.max_skew:
        raise BadInput(
            f"{prefix}timestamp: more than {received.max_skew.days} days from now",
            field=f"{prefix}timestamp",
        )
    return min(timestamp, received.received_at)


def envelope_from_segment(
    message: Any,
    received: Received,
    *,
    kind: str | None = None,
    batch_sent_at: datetime | None = None,
    batch_context: dict[str, Any] | None = None,
    prefix: str = "",
) -> EventEnvelope:
    """The envelope for one message; `kind` forces the type (single-event endpoints)."""
    document, _keys = _document(message, received, kind, batch_sent_at, batch_context, prefix)
    try:
        return EventEnvelope.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = prefix + ".".join(str(part) for part in first["loc"])
        raise BadInput(f"{where}: {first['msg']}", field=where) from exc


def outgoing_from_segment(
    message: Any,
    received: Received,
    *,
    kind: str | None = None,
    batch_sent_at: datetime | None = None,
    batch_context: dict[str, Any] | None = None,
    prefix: str = "",
) -> Outgoing:
    """The same event as `envelope_from_segment`, encoded straight from its document.

    Every field is checked while the document is built, so the models' validation would
    only repeat it: the edge's hot path skips them (the unit tests keep the two equal).
    """
    document, keys = _document(message, received, kind, batch_sent_at, batch_context, prefix)
    return Outgoing(keys, encode_document(document))


def _document(
    message: Any,
    received: Received,
    kind: str | None,
    batch_sent_at: datetime | None,
    batch_context: dict[str, Any] | None,
    prefix: str,
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The envelope's JSON document (None fields left out) and its identity keys."""
    if not isinstance(message, dict):
        raise BadInput(
            f"{prefix or 'body'}: must be a JSON object", field=prefix.rstrip(".") or "body"
        )
    size = len(orjson.dumps(message))
    if size > received.max_event_bytes:
        raise BadInput(
            f"{prefix or 'event'}: {size} bytes, over the {received.max_event_bytes}-byte limit",
            field=prefix.rstrip(".") or "body",
            code="too_large",
        )
    event_type = kind or message.get("type")
    if event_type not in SEGMENT_TYPES:
        raise BadInput(
            f"{prefix}type: must be one of {sorted(SEGMENT_TYPES)}", field=f"{prefix}type"
        )
    if event_type == "screen":
        event_type = "page"
    context = read_object(message, "context", prefix)
    if batch_context:
        context = batch_context | context
    properties = read_object(message, "properties", prefix)
    in_context = prefix + "context."
    traits = read_object(message, "traits", prefix)
    group_id: str | None = None
    if event_type == "group":
        # A group's traits are the account's: its email is no identity of the person.
        group_id = read_id(message, "groupId", prefix)
        if not group_id:
            raise BadInput(f"{prefix}groupId: a group needs groupId", field=f"{prefix}groupId")
        email = None
    else:
        where = "traits.email"
        if not traits:
            traits = read_object(context, "traits", in_context)
            where = "context.traits.email"
        email = read_email(traits.get("email"), prefix, where)
    page = read_object(context, "page", in_context)

    anonymous_id = read_id(message, "anonymousId", prefix)
    user_id = read_id(message, "userId", prefix)
    if not (anonymous_id or user_id):
        raise BadInput(
            f"{prefix}userId: userId or anonymousId is required", field=f"{prefix}userId"
        )

    name: str | None = None
    previous_id: str | None = None
    if event_type == "track":
        name = read_text(message.get("event"), prefix, "event", 200)
        if not name:
            raise BadInput(f"{prefix}event: a track needs an event name", field=f"{prefix}event")
    elif event_type == "page":
        name = read_text(message.get("name"), prefix, "name", 200)
    elif event_type == "alias":
        previous = read_id(message, "previousId", prefix)
        if not previous:
            raise BadInput(
                f"{prefix}previousId: an alias needs previousId", field=f"{prefix}previousId"
            )
        # Browsers alias their anonymous id; anything else is an earlier user id.
        previous_id = f"anon:{previous}" if previous == anonymous_id else f"user:{previous}"

    # Segment's context.userAgent is the person's browser (server-side SDKs forward it, the
    # snippet sends navigator.userAgent); the request's own header is only the fallback.
    user_agent, browser, os_name, device, bot = (
        received.user_agent,
        received.browser,
        received.os,
        received.device,
        received.bot,
    )
    given_agent = read_text(context.get("userAgent"), prefix, "context.userAgent", 1024)
    if given_agent and given_agent != received.user_agent:
        agent = parse_agent(given_agent)
        user_agent, browser, os_name, device, bot = (
            given_agent,
            agent.browser,
            agent.os,
            agent.device,
            agent.bot,
        )

    url = read_text(properties.get("url"), prefix, "properties.url") or read_text(
        page.get("url"), prefix, "context.page.url"
    )
    ip = received.ip
    if received.trusted and isinstance(context.get("ip"), str):
        # A server-side source forwards its visitor's address; its own says nothing.
        ip = anonymize_ip(context["ip"]) or ip
    path = read_text(properties.get("path"), prefix, "properties.path") or read_text(
        page.get("path"), prefix, "context.page.path"
    )
    referrer = read_text(properties.get("referrer"), prefix, "properties.referrer") or read_text(
        page.get("referrer"), prefix, "context.page.referrer"
    )
    title = read_text(properties.get("title"), prefix, "properties.title", 512) or read_text(
        page.get("title"), prefix, "context.page.title", 512
    )
    campaign = read_campaign(context, url, prefix)
    locale = read_text(context.get("locale"), prefix, "context.locale", 32)
    # EventContext's fields in its order, the None ones left out, as `encode` writes it.
    event_context: dict[str, Any] = dict(_agent_context(ip, user_agent, browser, os_name, device))
    pages = (("url", url), ("path", path), ("referrer", referrer), ("title", title))
    event_context.update({field: value for field, value in pages if value is not None})
    event_context["campaign"] = campaign
    if locale is not None:
        event_context["locale"] = locale
    verified = received.trusted or _hash_matches(
        context.get("userHash"), user_id or (canonical_email(email) if email else None), received
    )
    # In EventEnvelope's field order, as `encode` writes it; the None ones left out.
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "event_id": read_id(message, "messageId", prefix) or str(uuid.uuid4()),
        "type": event_type,
    }
    if name is not None:
        document["event"] = name
    document["source"] = received.source
    identity = document["identity"] = {}
    if anonymous_id is not None:
        identity["anonymous_id"] = anonymous_id
    if user_id is not None:
        identity["user_id"] = user_id
    if email is not None:
        identity["email"] = email
    if previous_id is not None:
        document["previous_id"] = previous_id
    if group_id is not None:
        document["group_id"] = group_id
    document["properties"] = properties
    document["traits"] = traits
    document["context"] = event_context
    document["flags"] = _flags(bot, received.consent, verified)
    document["timestamp"] = _event_time(message, batch_sent_at, received, prefix)
    document["received_at"] = received.received_at
    # Identity(...).keys() without building the model: strongest first
    return document, tuple(identity_keys(user_id, email, None, anonymous_id))
