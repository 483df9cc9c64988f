"""The last steps both CRM doors share: order outcomes per person, publish them exactly as
`POST /v1/crm/events` does (its own envelope code), count.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

import structlog
from fastapi import Request

from ingest.crm_inbound.claims import is_newest
from ingest.errors import BadInput
from ingest.intake import accept_events
from ingest.metrics import CRM_NOTIFICATIONS
from ingest.routes.webhooks import CrmEvent, crm_envelope

__all__ = ["TimedOutcome", "Vendor", "count", "publish_in_order"]

log = structlog.get_logger(__name__)

Vendor = Literal["hubspot", "salesforce"]


class TimedOutcome(NamedTuple):
    """An outcome and the vendor's time of the change (ms), when the vendor gave one."""

    event: CrmEvent
    at_ms: int | None


def count(vendor: Vendor, result: str, n: int = 1) -> None:
    if n:
        CRM_NOTIFICATIONS.labels(vendor, result).inc(n)


async def publish_in_order(
    request: Request, vendor: Vendor, outcomes: Sequence[TimedOutcome]
) -> int:
    """Publish the outcomes not older than one already taken for the same person, oldest
    first; return how many were published. Raises PublishUnavailable when they cannot be."""
    redis = request.app.state.redis
    envelopes = []
    for outcome in sorted(outcomes, key=lambda o: o.at_ms or 0):
        body = outcome.event
        person = body.email or body.lead_id or ""
        if outcome.at_ms is not None and not await is_newest(redis, vendor, person, outcome.at_ms):
            log.info("crm_outcome_out_of_order", vendor=vendor, event_id=body.event_id)
            count(vendor, "stale")
            continue
        try:
            envelopes.append(await crm_envelope(request, body))
        except BadInput as exc:
            log.info("crm_outcome_unusable", vendor=vendor, event_id=body.event_id, why=exc.code)
            count(vendor, "no_person")
    await accept_events(request, envelopes, "crm")
    count(vendor, "outcome", len(envelopes))
    return len(envelopes)
