"""`POST /v1/crm/salesforce/outbound/{secret}`: Salesforce Outbound Messages turned into CRM
outcomes, answered with the `Ack` Salesforce needs to stop redelivering.

1. The secret in the URL must equal LP_SALESFORCE_OUTBOUND_SECRET (401 otherwise), checked
   before the body is read; the body is read under the batch size limit (413 past it).
2. The SOAP body is parsed safely (400 when malformed); its `OrganizationId` must be
   LP_SALESFORCE_ORG_ID (403 otherwise). The 15-character id and its 18-character form
   (the same id plus a case checksum) are the same organization.
3. Each Notification is claimed by its `Id` (Salesforce keeps it across redeliveries, for up
   to 24 hours): a redelivered one is acknowledged and dropped. Outcomes are published as
   `POST /v1/crm/events` publishes them, with event id `salesforce:{org}:{notification id}`.
4. The Ack is sent only once every outcome is durable; otherwise the claims are released
   and the answer is 503, and Salesforce delivers the message again.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from ingest.body import read_body
from ingest.crm_inbound.claims import claim_deliveries, release_deliveries
from ingest.crm_inbound.outcomes import TimedOutcome, count, publish_in_order
from ingest.crm_inbound.salesforce_outcomes import SalesforceChange, outcome_of
from ingest.crm_inbound.salesforce_soap import ACK, parse_notifications
from ingest.errors import BadInput, Forbidden, PublishUnavailable, Unauthorized
from ingest.routes.webhooks import CrmEvent
from leadpulse.kernel.config.crm_inbound import SalesforceInbound
from leadpulse.kernel.settings import Settings

__all__ = ["router"]

log = structlog.get_logger(__name__)

router = APIRouter()

_ORG_ID_CHARS = 15


def _check_secret(settings: Settings, given: str) -> None:
    expected = settings.salesforce_outbound_secret
    if expected is None:
        raise Unauthorized("Salesforce outbound messages are not enabled")
    if not hmac.compare_digest(
        given.encode("utf-8", "replace"), expected.get_secret_value().encode()
    ):
        log.info("salesforce_secret_refused")
        raise Unauthorized("the secret in the outbound message URL is not valid")


def _same_org(given: str, expected: str | None) -> bool:
    if not expected or len(given) not in (15, 18) or len(expected) not in (15, 18):
        return False
    return hmac.compare_digest(
        given[:_ORG_ID_CHARS].encode("utf-8", "replace"), expected[:_ORG_ID_CHARS].encode()
    )


def _outcome(change: SalesforceChange, org: str) -> TimedOutcome | None:
    changed = change.changed_at
    try:
        body = CrmEvent(
            event_id=f"salesforce:{org}:{change.notification.id}",
            type=change.outcome,
            email=change.email,
            lead_id=change.lead_id,
            occurred_at=changed or datetime.now(UTC),
            reason=change.reason,
        )
    except ValidationError:
        count("salesforce", "no_person")
        return None
    return TimedOutcome(body, None if changed is None else int(changed.timestamp() * 1000))


@router.post("/v1/crm/salesforce/outbound/{secret}")
async def salesforce_outbound(request: Request, secret: str) -> Response:
    """A Salesforce Outbound Message; won/lost Opportunities and Lead statuses are outcomes."""
    settings: Settings = request.app.state.settings
    config: SalesforceInbound = request.app.state.config.crm.inbound.salesforce
    _check_secret(settings, secret)
    raw = await read_body(request, request.app.state.config.collect.max_batch_bytes)
    try:
        message = parse_notifications(raw)
    except ValueError as exc:
        raise BadInput(str(exc), field="body", code="bad_xml") from exc
    if not _same_org(message.organization_id, settings.salesforce_org_id):
        log.info("salesforce_org_refused")
        raise Forbidden("OrganizationId is not this LeadPulse's organization", "OrganizationId")
    org = message.organization_id[:_ORG_ID_CHARS]
    changes = [change for item in message.items if (change := outcome_of(item, config))]
    count("salesforce", "ignored", len(message.items) - len(changes))
    ids = [f"{org}:{change.notification.id}" for change in changes]
    first = await claim_deliveries(request.app.state.redis, "salesforce", ids)
    fresh = [change for change, new in zip(changes, first, strict=True) if new]
    claimed = [delivery for delivery, new in zip(ids, first, strict=True) if new]
    count("salesforce", "duplicate", len(changes) - len(fresh))
    outcomes = [outcome for change in fresh if (outcome := _outcome(change, org))]
    try:
        await publish_in_order(request, "salesforce", outcomes)
    except PublishUnavailable:
        await release_deliveries(request.app.state.redis, "salesforce", claimed)
        raise
    return Response(ACK, media_type="text/xml; charset=utf-8")
