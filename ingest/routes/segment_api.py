"""Segment's HTTP Tracking API: /v1/batch (and /v1/import), /v1/track, /v1/identify,
/v1/page, /v1/screen, /v1/alias — so Segment and RudderStack SDKs work unchanged.

A body that is not acceptable as a whole (too large, not JSON, wrong key) is a 4xx; in a
batch, good events are accepted and the 200 lists the rejected ones with reasons.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from ingest.auth import Caller, require_write_key
from ingest.body import json_body
from ingest.errors import BadInput
from ingest.intake import accept_outgoing, received_for
from ingest.metrics import EVENTS_REJECTED
from ingest.outgoing import Outgoing
from ingest.responses import FastJSON
from ingest.segment import outgoing_from_segment, parse_time
from leadpulse.schema import Source

__all__ = ["accept_batch", "router"]

WriteCaller = Annotated[Caller, Depends(require_write_key)]

router = APIRouter()


def _message_id(item: Any) -> str | None:
    value = item.get("messageId") if isinstance(item, dict) else None
    return value if isinstance(value, str) else None


async def accept_batch(request: Request, caller: Caller, source: Source) -> dict[str, Any]:
    """Validate each message of a `{"batch": [...]}` body, publish the good ones."""
    body = await json_body(request)
    if not isinstance(body, dict):
        raise BadInput("body: must be a JSON object with a batch list", field="body")
    items = body.get("batch")
    if not isinstance(items, list):
        raise BadInput("batch: must be a list of messages", field="batch")
    sent_at = parse_time(body.get("sentAt"), "sentAt")
    context = body.get("context")
    if context is not None and not isinstance(context, dict):
        raise BadInput("context: must be an object", field="context")
    received = received_for(request, source, trusted=caller.trusted)
    events: list[Outgoing] = []
    rejected: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        try:
            events.append(
                outgoing_from_segment(
                    item,
                    received,
                    batch_sent_at=sent_at,
                    batch_context=context,
                    prefix=f"batch.{index}.",
                )
            )
        except BadInput as exc:
            EVENTS_REJECTED.labels(exc.code, source).inc()
            rejected.append({"index": index, "messageId": _message_id(item), "error": exc.message})
    accepted = await accept_outgoing(request, events, source)
    return {"success": True, "accepted": accepted, "rejected": rejected}


@router.post("/v1/batch", response_class=FastJSON)
@router.post("/v1/import", response_class=FastJSON, include_in_schema=False)
async def batch(request: Request, caller: WriteCaller) -> dict[str, Any]:
    """Many messages at once (Segment's batch endpoint, 500 KB)."""
    return await accept_batch(request, caller, "segment")


async def _single(request: Request, caller: Caller, kind: str) -> dict[str, Any]:
    body = await json_body(request)
    received = received_for(request, "segment", trusted=caller.trusted)
    event = outgoing_from_segment(body, received, kind=kind)
    await accept_outgoing(request, [event], "segment")
    return {"success": True}


@router.post("/v1/track", response_class=FastJSON)
async def track(request: Request, caller: WriteCaller) -> dict[str, Any]:
    return await _single(request, caller, "track")


@router.post("/v1/identify", response_class=FastJSON)
async def identify(request: Request, caller: WriteCaller) -> dict[str, Any]:
    return await _single(request, caller, "identify")


@router.post("/v1/page", response_class=FastJSON)
async def page(request: Request, caller: WriteCaller) -> dict[str, Any]:
    return await _single(request, caller, "page")


@router.post("/v1/screen", response_class=FastJSON, include_in_schema=False)
async def screen(request: Request, caller: WriteCaller) -> dict[str, Any]:
    return await _single(request, caller, "screen")


@router.post("/v1/alias", response_class=FastJSON)
async def alias(request: Request, caller: WriteCaller) -> dict[str, Any]:
    return await _single(request, caller, "alias")
