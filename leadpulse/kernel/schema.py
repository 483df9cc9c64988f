"""Messages the three services exchange over Kafka. No I/O, only pydantic and orjson.

Schemas only grow: new fields are optional, no field is ever repurposed. Every message
carries `schema_version`; a consumer accepts any version up to its own and ignores
unknown fields, so a newer producer never breaks an older consumer.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Literal, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field

from leadpulse.kernel.domain import AlertType, CrmOutcome, Stage

__all__ = [
    "ALERT_TYPES",
    "CRM_OUTCOMES",
    "SCHEMA_VERSION",
    "STAGES",
    "Alert",
    "AlertLead",
    "AlertType",
    "Campaign",
    "Consent",
    "CrmOutcome",
    "DeadLetter",
    "EventContext",
    "EventEnvelope",
    "EventFlags",
    "EventType",
    "Identity",
    "ScoreReason",
    "Source",
    "Stage",
    "TopicNames",
    "Trust",
    "canonical_email",
    "decode",
    "encode",
    "identity_keys",
    "identity_precedence",
    "lead_id_for",
    "strongest_key",
]

SCHEMA_VERSION = 1

# The domain's words live in leadpulse.kernel.domain; these tuples list them in order.
STAGES: tuple[Stage, ...] = tuple(Stage)
CRM_OUTCOMES: tuple[CrmOutcome, ...] = tuple(CrmOutcome)
ALERT_TYPES: tuple[AlertType, ...] = tuple(AlertType)

EventType = Literal[
    "track",
    "identify",
    "page",
    "alias",
    # Segment's group: the person belongs to the account `group_id`; traits are the account's.
    "group",
    "crm",
    "webinar",
    # Written by the scorer itself onto the events topic, keyed to the identity
    # that must act: see scorer.core.identity. Never accepted from outside.
    "claim",
    "merge",
    "forget",
    # An engaged person's touch, keyed `account:<id>` so one scorer sees a whole account.
    "account",
    # A sales SLA ran out on a lead configured to be recycled then (the SLA tick's).
    "stale",
]
Source = Literal[
    "snippet", "pixel", "email_open", "email_click", "segment", "webinar", "crm", "scorer", "api"
]
Trust = Literal["claimed", "verified"]


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class TopicNames(_Message):
    events: str = "leadpulse.events"
    alerts: str = "leadpulse.alerts"
    dlq: str = "leadpulse.alerts.dlq"
    # Lead changes for CRM connectors (scorer -> router), and those a connector gave up on.
    lead_changes: str = "leadpulse.lead-changes"
    crm_dlq: str = "leadpulse.lead-changes.dlq"
    outcomes: str = "leadpulse.outcomes"
    # Events the scorer could not apply (poison), with the reason in their headers.
    events_dlq: str = "leadpulse.events.dlq"


class Identity(_Message):
    """Every identifier an event carries for its person. At least one is set."""

    anonymous_id: str | None = None
    user_id: str | None = None
    email: str | None = None
    crm_lead_id: str | None = None

    def keys(self) -> list[str]:
        """The identity keys present, strongest first (see `identity_precedence`)."""
        return identity_keys(self.user_id, self.email, self.crm_lead_id, self.anonymous_id)

    @classmethod
    def from_key(cls, key: str) -> Identity:
        """The Identity whose strongest key is `key` (e.g. 'email:a@b.example')."""
        kind, _, value = key.partition(":")
        field = {"user": "user_id", "email": "email", "crm": "crm_lead_id", "anon": "anonymous_id"}
        if kind not in field or not value:
            raise ValueError(f"not an identity key: {kind}:...")
        return cls.model_validate({field[kind]: value})

    def key(self) -> str:
        """The Kafka key: the strongest identity present."""
        return strongest_key(self.keys())


class Campaign(_Message):
    source: str | None = None
    medium: str | None = None
    name: str | None = None
    term: str | None = None
    content: str | None = None


class Consent(_Message):
    do_not_track: bool = False
    global_privacy_control: bool = False
    # Whether this event may be used for scoring under the site's consent policy.
    tracking_allowed: bool = True


class EventContext(_Message):
    ip: str | None = Field(default=None, description="anonymized: IPv4 /24, IPv6 /48")
    user_agent: str | None = None
    browser: str | None = None
    os: str | None = None
    device: str | None = None
    url: str | None = None
    path: str | None = None
    referrer: str | None = None
    title: str | None = None
    campaign: Campaign = Campaign()
    locale: str | None = None


class EventFlags(_Message):
    """What the edge decided about an event. Flagged events are kept, never scored."""

    bot: bool = False
    scanner: bool = False
    noise_reason: str | None = None
    consent: Consent = Consent()
    identity_trust: Trust = "claimed"

    @property
    def is_noise(self) -> bool:
        return self.bot or self.scanner


class EventEnvelope(_Message):
    """One behavior or outcome, as ingest publishes it to the events topic."""

    schema_version: int = SCHEMA_VERSION
    event_id: str = Field(min_length=1, max_length=200)
    type: EventType
    event: str | None = Field(default=None, description="track/crm/webinar event name")
    source: Source
    identity: Identity
    previous_id: str | None = Field(default=None, description="alias: the identity key merged away")
    group_id: str | None = Field(
        default=None, max_length=200, description="group: the account (CRM id or domain)"
    )
    properties: dict[str, Any] = Field(default_factory=dict)
    traits: dict[str, Any] = Field(default_factory=dict)
    context: EventContext = EventContext()
    flags: EventFlags = EventFlags()
    timestamp: datetime = Field(description="when it happened (skew-corrected), UTC")
    received_at: datetime = Field(description="when ingest accepted it, UTC")
    # The payload of the scorer's own messages (claim, merge, ...): see leadpulse.kernel.messages.
    control: dict[str, Any] | None = None

    @property
    def key(self) -> str:
        return self.identity.key()


class ScoreReason(_Message):
    rule: str
    points: float
    at: datetime


class AlertLead(_Message):
    lead_id: str
    email: str | None = None
    # A Stage's value, read as a plain str: a stage added later never fails an older router.
    stage: str
    score: float
    fit: float = 0.0
    engagement: float = 0.0
    top_reasons: list[ScoreReason] = Field(default_factory=list)
    consideration: str | None = None
    interests: list[str] = Field(default_factory=list)
    account: str | None = None
    # What the account told about itself through `group` (name, domain, industry, employees, plan).
    account_traits: dict[str, Any] | None = None
    # Traits routing may look at (country, region, company_size, industry, ...).
    attributes: dict[str, str] = Field(default_factory=dict)
    nurture_paused_until: datetime | None = None
    # The predictive score: {p_convert, tier, model, version, intercept, factors, rest};
    # absent until a model is live.
    prediction: dict[str, Any] | None = None


class Alert(_Message):
    """An alert intent from the scorer; the webhook body is this, as JSON."""

    schema_version: int = SCHEMA_VERSION
    alert_id: str = Field(description="deterministic: lead, transition, triggering event")
    type: AlertType
    occurred_at: datetime
    lead: AlertLead
    reason: str
    owner: str | None = None
    model: str = "default"
    identity_verified: bool = False
    trigger_event_id: str | None = None
    account_id: str | None = None


class DeadLetter(_Message):
    """An alert that one destination could not take after the last retry."""

    schema_version: int = SCHEMA_VERSION
    alert: Alert
    destination: str
    reason: str
    attempts: int
    failed_at: datetime


def canonical_email(email: str) -> str:
    return email.strip().lower()


def identity_keys(
    user_id: str | None, email: str | None, crm_lead_id: str | None, anonymous_id: str | None
) -> list[str]:
    """An identity's keys, strongest first (see `identity_precedence`)."""
    found = []
    if user_id:
        found.append(f"user:{user_id}")
    if email:
        found.append(f"email:{canonical_email(email)}")
    if crm_lead_id:
        found.append(f"crm:{crm_lead_id}")
    if anonymous_id:
        found.append(f"anon:{anonymous_id}")
    return found


def strongest_key(keys: list[str]) -> str:
    """The first of an identity's keys (`identity_keys`); one is needed."""
    if not keys:
        raise ValueError("an identity needs a user_id, email, crm_lead_id or anonymous_id")
    return keys[0]


def identity_precedence(key: str) -> int:
    """Lower wins when two identities turn out to be one person."""
    kind = key.split(":", 1)[0]
    return {"user": 0, "email": 1, "crm": 2, "anon": 3}.get(kind, 9)


def lead_id_for(identity_key: str) -> str:
    """A lead's public id: stable, opaque, and free of the email it may come from."""
    digest = hashlib.blake2b(identity_key.encode(), digest_size=10).hexdigest()
    return f"ld_{digest}"


def encode(message: BaseModel) -> bytes:
    return orjson.dumps(message.model_dump(mode="json", exclude_none=True))


M = TypeVar("M", bound=BaseModel)


def decode(model: type[M], data: bytes) -> M:
    """Parse a message; raises pydantic.ValidationError (a ValueError), also for bad JSON."""
    return model.model_validate_json(data)
