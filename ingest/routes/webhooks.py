"""Server-side sources: webinar registrations and attendance, and CRM sales outcomes.

Both need the secret key or a signed inbound webhook (see `ingest.inbound`). The bodies
are small, strict JSON objects; each becomes one envelope keyed by the person.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ingest.auth import Caller
from ingest.body import json_body
from ingest.errors import BadInput, PublishUnavailable
from ingest.inbound import forget_webhook_id, require_secret_or_signature
from ingest.intake import accept_events, received_for
from ingest.links import check_email
from ingest.responses import FastJSON
from ingest.segment_fields import has_control
from leadpulse.kernel.domain import CrmOutcome
from leadpulse.kernel.schema import EventContext, EventEnvelope, EventFlags, Identity, Source
from scorer.read.store import lead_identities

__all__ = ["CrmEvent", "WebinarEvent", "crm_envelope", "router"]

InboundCaller = Annotated[Caller, Depends(require_secret_or_signature)]

router = APIRouter()

_Text = Field(default=None, max_length=200)


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    event_id: str = Field(min_length=1, max_length=200)
    occurred_at: datetime

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _no_control(value: str | None) -> str | None:
    """Ids, emails and names go into alerts and CRM fields: no line may start inside one."""
    if value is not None and has_control(value):
        raise ValueError("contains a control character")
    return value


class CrmEvent(_Body):
    """`{"event_id", "type", "email"|"lead_id", "occurred_at", "owner"?, "account_id"?,
    "reason"?}`."""

    type: CrmOutcome
    email: str | None = Field(default=None, max_length=254)
    lead_id: str | None = _Text
    owner: str | None = _Text
    account_id: str | None = _Text
    reason: str | None = Field(default=None, max_length=1000)

    _plain = field_validator("event_id", "email", "lead_id", "owner", "account_id")(_no_control)


class WebinarEvent(_Body):
    """`{"event_id", "type": "registered"|"attended", "email", "webinar", "occurred_at", ...}`."""

    type: Literal["registered", "attended"]
    email: str = Field(max_length=254)
    webinar: str = Field(min_length=1, max_length=200)
    name: str | None = _Text
    title: str | None = _Text
    company: str | None = _Text
    duration_minutes: float | None = Field(default=None, ge=0, le=24 * 60)

    _plain = field_validator("event_id", "email", "webinar", "name", "title", "company")(
        _no_control
    )


def _parse(model: type[_Body], body: Any) -> Any:
    if not isinstance(body, dict):
        raise BadInput("body: must be a JSON object", field="body")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise BadInput(f"{where}: {first['msg']}", field=where) from exc


def _email(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return check_email(value)
    except ValueError as exc:
        raise BadInput(str(exc), field="email") from exc


def _require_person(email: str | None, lead_id: str | None) -> None:
    if email is None and not lead_id:
        raise BadInput("email: email or lead_id is required", field="email")


async def _accept(request: Request, event: EventEnvelope, source: Source) -> dict[str, Any]:
    try:
        await accept_events(request, [event], source)
    except PublishUnavailable:
        await forget_webhook_id(request)
        raise
    return {"success": True, "event_id": event.event_id}


def _envelope(
    request: Request,
    source: Source,
    body: _Body,
    **fields: Any,
) -> EventEnvelope:
    received = received_for(request, source, trusted=True)
    return EventEnvelope(
        event_id=body.event_id,
        source=source,
        context=EventContext(ip=received.ip, user_agent=received.user_agent),
        flags=EventFlags(identity_trust="verified"),
        timestamp=min(body.occurred_at, received.received_at),
        received_at=received.received_at,
        **fields,
    )


async def _crm_identity(request: Request, email: str | None, lead_id: str | None) -> Identity:
    """Who a CRM outcome is about. A LeadPulse lead id (`ld_...`, as alerts carry it) goes
    to that lead's own partition; any other id is the CRM's own lead id."""
    if email is None and lead_id and lead_id.startswith("ld_"):
        found = await lead_identities(request.app.state.redis, lead_id)
        if found is not None:
            return Identity.from_key(found[0])
    return Identity(email=email, crm_lead_id=lead_id)


async def crm_envelope(request: Request, body: CrmEvent) -> EventEnvelope:
    """The envelope a CRM outcome is published as, whichever door it came in by
    (`POST /v1/crm/events`, HubSpot webhooks, Salesforce Outbound Messages)."""
    email = _email(body.email)
    _require_person(email, body.lead_id)
    properties = {
        k: v
        for k, v in (
            ("owner", body.owner),
            ("account_id", body.account_id),
            ("reason", body.reason),
        )
        if v
    }
    return _envelope(
        request,
        "crm",
        body,
        type="crm",
        event=body.type,
        identity=await _crm_identity(request, email, body.lead_id),
        properties=properties,
        traits={"account_id": body.account_id} if body.account_id else {},
    )


@router.post("/v1/crm/events", response_class=FastJSON)
async def crm_event(request: Request, _caller: InboundCaller) -> dict[str, Any]:
    """A sales outcome for a lead (by email or LeadPulse/CRM lead id)."""
    body: CrmEvent = _parse(CrmEvent, await json_body(request))
    return await _accept(request, await crm_envelope(request, body), "crm")


@router.post("/v1/webhooks/webinar", response_class=FastJSON)
async def webinar_event(request: Request, _caller: InboundCaller) -> dict[str, Any]:
    """A webinar registration or attendance."""
    body: WebinarEvent = _parse(WebinarEvent, await json_body(request))
    email = _email(body.email)
    traits = {
        k: v
        for k, v in (
            ("email", email),
            ("name", body.name),
            ("title", body.title),
            ("company", body.company),
        )
        if v
    }
    properties: dict[str, Any] = {"webinar": body.webinar}
    if body.duration_minutes is not None:
        properties["duration_minutes"] = body.duration_minutes
    event = _envelope(
        request,
        "webinar",
        body,
        type="webinar",
        event="Webinar Registered" if body.type == "registered" else "Webinar Attended",
        identity=Identity(email=email),
        properties=properties,
        traits=traits,
    )
    return await _accept(request, event, "webinar")
