"""The events topic's envelope as the scorer reads it: msgspec Structs, decoded in one pass.

`schema.EventEnvelope` (pydantic) is what ingest validates and publishes. The scorer reads
every message of the topic, so it decodes the same JSON straight into these frozen Structs
(`read_envelope`) at a fraction of pydantic's cost, with the same field names, types,
defaults and limits; it is as lenient as pydantic's lax mode (`strict=False`: a number in
a string is a number). `tests/unit/test_wire.py` holds that both read alike. No I/O.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from leadpulse.kernel.schema import (
    SCHEMA_VERSION,
    EventType,
    Source,
    Trust,
    identity_keys,
    strongest_key,
)

__all__ = [
    "Campaign",
    "Consent",
    "Envelope",
    "EventContext",
    "EventFlags",
    "Identity",
    "read_envelope",
    "write_envelope",
]


class Identity(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    anonymous_id: str | None = None
    user_id: str | None = None
    email: str | None = None
    crm_lead_id: str | None = None

    def keys(self) -> list[str]:
        """The identity keys present, strongest first (`schema.identity_precedence`)."""
        return identity_keys(self.user_id, self.email, self.crm_lead_id, self.anonymous_id)

    def key(self) -> str:
        """The Kafka key: the strongest identity present."""
        return strongest_key(self.keys())


class Campaign(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    source: str | None = None
    medium: str | None = None
    name: str | None = None
    term: str | None = None
    content: str | None = None


class Consent(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    do_not_track: bool = False
    global_privacy_control: bool = False
    tracking_allowed: bool = True


class EventContext(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    ip: str | None = None
    user_agent: str | None = None
    browser: str | None = None
    os: str | None = None
    device: str | None = None
    url: str | None = None
    path: str | None = None
    referrer: str | None = None
    title: str | None = None
    campaign: Campaign = msgspec.field(default_factory=Campaign)
    locale: str | None = None


class EventFlags(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    bot: bool = False
    scanner: bool = False
    noise_reason: str | None = None
    consent: Consent = msgspec.field(default_factory=Consent)
    identity_trust: Trust = "claimed"

    @property
    def is_noise(self) -> bool:
        return self.bot or self.scanner


class Envelope(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One event of the topic, as `schema.EventEnvelope` describes it."""

    schema_version: int = SCHEMA_VERSION
    event_id: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    type: EventType
    event: str | None = None
    source: Source
    identity: Identity
    previous_id: str | None = None
    group_id: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    properties: dict[str, Any] = msgspec.field(default_factory=dict)
    traits: dict[str, Any] = msgspec.field(default_factory=dict)
    context: EventContext = msgspec.field(default_factory=EventContext)
    flags: EventFlags = msgspec.field(default_factory=EventFlags)
    timestamp: datetime
    received_at: datetime
    control: dict[str, Any] | None = None

    @property
    def key(self) -> str:
        return self.identity.key()


_DECODER = msgspec.json.Decoder(Envelope, strict=False)
_ENCODER = msgspec.json.Encoder()


def read_envelope(data: bytes) -> Envelope:
    """Decode one message of the events topic; raises msgspec's errors (ValueErrors), also
    for bad JSON or a field out of its limits."""
    return _DECODER.decode(data)


def write_envelope(envelope: Envelope) -> bytes:
    """The envelope's JSON, defaults left out (read back by either model alike)."""
    return _ENCODER.encode(envelope)
