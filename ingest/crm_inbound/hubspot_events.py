"""Which HubSpot webhook events are CRM outcomes: pure decisions, no I/O.

HubSpot posts a JSON array of up to 100 events. An outcome is a `deal.propertyChange` on
`dealstage` whose stage id the config maps, or a `contact.propertyChange` on
`lifecyclestage` whose value it maps (the developer platform's `object.propertyChange` for
deals `0-3` and contacts `0-1` too). Everything else is acknowledged and ignored: HubSpot
counts any answer but a 2xx or 400/401/403/404/405 as a failed delivery and sends it again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from leadpulse.kernel.config.crm_inbound import CrmOutcome, HubSpotInbound

__all__ = ["MAX_EVENTS", "HubSpotChange", "WebhookEvent", "outcome_of", "parse_events"]

MAX_EVENTS = 100

_OBJECT_TYPES = {"0-1": "contact", "0-3": "deal"}


class WebhookEvent(BaseModel):
    """The fields of one HubSpot webhook event that we read."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    event_id: int = Field(alias="eventId", ge=0)
    portal_id: int = Field(alias="portalId", ge=0)
    occurred_at: int = Field(alias="occurredAt", ge=0)
    subscription_type: str = Field(alias="subscriptionType", max_length=100)
    object_id: int = Field(alias="objectId", ge=0)
    object_type_id: str | None = Field(default=None, alias="objectTypeId", max_length=20)
    property_name: str | None = Field(default=None, alias="propertyName", max_length=100)
    property_value: str | None = Field(default=None, alias="propertyValue", max_length=255)
    source_id: str | None = Field(default=None, alias="sourceId", max_length=255)


class HubSpotChange(NamedTuple):
    """An event that is an outcome: about a deal (its contacts) or a contact."""

    event: WebhookEvent
    kind: Literal["deal", "contact"]
    outcome: CrmOutcome

    @property
    def occurred_at(self) -> datetime:
        return datetime.fromtimestamp(self.event.occurred_at / 1000, UTC)


def parse_events(body: Any) -> tuple[list[WebhookEvent], int]:
    """(the events we can read, how many we could not); ValueError if not a JSON array."""
    if not isinstance(body, list):
        raise ValueError("body: HubSpot sends a JSON array of events")  # noqa: TRY004 - bad input, answered 400
    if len(body) > MAX_EVENTS:
        raise ValueError(f"body: more than {MAX_EVENTS} events")
    events: list[WebhookEvent] = []
    unreadable = 0
    for item in body:
        try:
            events.append(WebhookEvent.model_validate(item))
        except ValidationError:
            unreadable += 1
    return events, unreadable


def _kind(event: WebhookEvent) -> str | None:
    subject, _, action = event.subscription_type.partition(".")
    if action != "propertyChange":
        return None
    if subject == "object":
        return _OBJECT_TYPES.get(event.object_type_id or "")
    return subject if subject in ("deal", "contact") else None


def outcome_of(event: WebhookEvent, config: HubSpotInbound) -> HubSpotChange | None:
    """The outcome this event stands for, or None when it is none of ours."""
    if event.source_id is not None and event.source_id in config.ignore_source_ids:
        return None
    value = event.property_value
    if value is None:
        return None
    kind = _kind(event)
    if kind == "deal" and event.property_name == "dealstage":
        outcome = config.deal_stages.get(value)
        return None if outcome is None else HubSpotChange(event, "deal", outcome)
    if kind == "contact" and event.property_name == "lifecyclestage":
        outcome = config.lifecycle_stages.get(value)
        return None if outcome is None else HubSpotChange(event, "contact", outcome)
    return None
