"""`POST /v1/crm/hubspot/webhooks`: HubSpot app webhooks turned into CRM outcomes.

1. The v3 signature is checked over the raw body (read under the batch size limit): 401
   naming why when it is missing, stale (more than 5 minutes) or wrong.
2. Events that are outcomes (see `hubspot_events`) are claimed by `eventId` in Valkey; a
   redelivered one is acknowledged and dropped.
3. Deals' contacts and contacts' emails are read from HubSpot inside the request, under a
   deadline well below HubSpot's 5-second time-out (see `hubspot_contacts`).
4. Each (event, contact) becomes the same outcome `POST /v1/crm/events` publishes, with the
   event id `hubspot:{portalId}:{eventId}:{contactId}`, so a redelivery dedupes downstream.
Events we could not finish (HubSpot unreadable or too slow, the broker unavailable) have
their claims released and the answer is 503, which HubSpot retries (it does not retry
400/401/403/404/405, so refusals use those). Events finished before that stay published
and claimed, so a large batch gets further with each redelivery.
"""

from __future__ import annotations

import time
from typing import Any

import structlog
from fastapi import APIRouter, Request
from pydantic import ValidationError

from ingest.body import parse_json, read_body
from ingest.crm_inbound.claims import claim_deliveries, release_deliveries
from ingest.crm_inbound.hubspot_contacts import ContactResolver, Resolution
from ingest.crm_inbound.hubspot_events import HubSpotChange, outcome_of, parse_events
from ingest.crm_inbound.hubspot_signature import SignatureRefused, signed_uri, verify_v3
from ingest.crm_inbound.outcomes import TimedOutcome, count, publish_in_order
from ingest.errors import BadInput, PublishUnavailable, Unauthorized
from ingest.responses import FastJSON
from ingest.routes.webhooks import CrmEvent
from leadpulse.kernel.config.crm_inbound import HubSpotInbound
from leadpulse.kernel.settings import Settings

__all__ = ["router"]

log = structlog.get_logger(__name__)

router = APIRouter()

_SIGNATURE = "X-HubSpot-Signature-v3"


class HubSpotUnavailable(PublishUnavailable):
    code = "crm_unavailable"


async def _verified_body(request: Request, settings: Settings) -> bytes:
    if settings.hubspot_client_secret is None:
        raise Unauthorized("HubSpot webhooks are not enabled (LP_HUBSPOT_CLIENT_SECRET)")
    raw = await read_body(request, request.app.state.config.collect.max_batch_bytes)
    scope_path: bytes = request.scope.get("raw_path") or request.url.path.encode()
    try:
        verify_v3(
            client_secret=settings.hubspot_client_secret.get_secret_value(),
            method=request.method,
            uri=signed_uri(
                settings.base_url,
                scope_path.decode("latin-1"),
                request.scope.get("query_string", b"").decode("latin-1"),
            ),
            body=raw,
            timestamp=request.headers.get("x-hubspot-request-timestamp"),
            signature=request.headers.get(_SIGNATURE),
            now_ms=int(time.time() * 1000),
        )
    except SignatureRefused as exc:
        log.info("hubspot_signature_refused", why=str(exc))
        raise Unauthorized(str(exc), field=_SIGNATURE) from exc
    return raw


def _resolver(request: Request) -> ContactResolver:
    resolver: ContactResolver | None = getattr(request.app.state, "hubspot_contacts", None)
    if resolver is None:
        log.error("hubspot_token_missing")
        raise HubSpotUnavailable("LP_HUBSPOT_TOKEN is not set: cannot read deals' contacts")
    return resolver


def _outcome(change: HubSpotChange, contact_id: int, email: str) -> TimedOutcome | None:
    event = change.event
    try:
        body = CrmEvent(
            event_id=f"hubspot:{event.portal_id}:{event.event_id}:{contact_id}",
            type=change.outcome,
            email=email,
            occurred_at=change.occurred_at,
            reason=f"hubspot {change.kind} {event.object_id}: {event.property_value}",
        )
    except ValidationError:
        count("hubspot", "no_person")
        return None
    return TimedOutcome(body, event.occurred_at)


def _people(change: HubSpotChange, resolution: Resolution) -> list[tuple[int, str]] | None:
    """(contact id, email) of everyone the change is about; None when not resolved yet."""
    object_id = change.event.object_id
    if change.kind == "deal":
        return resolution.deals.get(object_id)
    if object_id not in resolution.contacts:
        return None
    email = resolution.contacts[object_id]
    return [(object_id, email)] if email else []


async def _outcomes(
    changes: list[HubSpotChange], resolver: ContactResolver
) -> tuple[list[TimedOutcome], list[int], str | None]:
    """(outcomes of the changes resolved, indexes of those not resolved, why not)."""
    deals = [c.event.object_id for c in changes if c.kind == "deal"]
    contacts = [c.event.object_id for c in changes if c.kind == "contact"]
    resolution = await resolver.resolve(deals, contacts)
    outcomes: list[TimedOutcome] = []
    pending: list[int] = []
    for index, change in enumerate(changes):
        people = _people(change, resolution)
        if people is None:
            pending.append(index)
            continue
        if not people:
            count("hubspot", "no_person")
        outcomes += [o for c, email in people if (o := _outcome(change, c, email))]
    return outcomes, pending, resolution.failure


@router.post("/v1/crm/hubspot/webhooks", response_class=FastJSON)
async def hubspot_webhooks(request: Request) -> dict[str, Any]:
    """HubSpot webhook events (signed v3); deal stage and lifecycle changes become outcomes."""
    settings: Settings = request.app.state.settings
    config: HubSpotInbound = request.app.state.config.crm.inbound.hubspot
    raw = await _verified_body(request, settings)
    try:
        events, unreadable = parse_events(parse_json(raw))
    except ValueError as exc:
        raise BadInput(str(exc), field="body") from exc
    changes = [change for event in events if (change := outcome_of(event, config))]
    count("hubspot", "ignored", len(events) - len(changes) + unreadable)
    ids = [f"{c.event.portal_id}:{c.event.event_id}" for c in changes]
    first = await claim_deliveries(request.app.state.redis, "hubspot", ids)
    fresh = [change for change, new in zip(changes, first, strict=True) if new]
    claimed = [delivery for delivery, new in zip(ids, first, strict=True) if new]
    count("hubspot", "duplicate", len(changes) - len(fresh))
    published = 0
    if fresh:
        redis = request.app.state.redis
        try:
            outcomes, pending, failure = await _outcomes(fresh, _resolver(request))
            published = await publish_in_order(request, "hubspot", outcomes)
        except PublishUnavailable:
            await release_deliveries(redis, "hubspot", claimed)
            raise
        if pending:
            # What was resolved is published and stays claimed; the rest waits for the retry.
            await release_deliveries(redis, "hubspot", [claimed[i] for i in pending])
            raise HubSpotUnavailable(failure or "HubSpot could not be read")
    return {
        "received": len(events) + unreadable,
        "outcomes": published,
        "duplicates": len(changes) - len(fresh),
    }
