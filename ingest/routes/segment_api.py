"""Segment's HTTP Tracking API: /v1/batch (and /v1/import), /v1/track, /v1/identify,
/v1/page, /v1/screen, /v1/group, /v1/alias, and the short names analytics.js posts to
(/v1/b, /v1/t, /v1/i, /v1/p, /v1/s, /v1/g, /v1/a), and RudderStack's beacon batches
(/beacon/v1/batch) — so Segment and RudderStack SDKs work unchanged.

A body that is not acceptable as a whole (too large, not JSON, NaN, wrong key) is a 4xx; in
a batch, good events are accepted and the 200 lists the rejected ones with reasons, a NUL
or too-deep nesting inside one message included.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from ingest.auth import Caller, classify_key, require_write_key
from ingest.body import json_body, message_problems
from ingest.errors import BadInput, Forbidden
from ingest.intake import accept_outgoing, received_for
from ingest.metrics import EVENTS_REJECTED
from ingest.outgoing import Outgoing
from ingest.responses import FastJSON
from ingest.segment import outgoing_from_segment, parse_time
from leadpulse.kernel.schema import Source

__all__ = ["BATCH_PATHS", "BEACON_PATH", "SINGLE_PATHS", "accept_batch", "router"]

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
    problems = message_problems(request)
    events: list[Outgoing] = []
    rejected: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        try:
            if index in problems:
                raise problems[index]
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


# Segment's long names and the one-letter ones analytics.js posts to, for each message type.
SINGLE_PATHS: dict[str, tuple[str, ...]] = {
    "track": ("/v1/track", "/v1/t"),
    "identify": ("/v1/identify", "/v1/i"),
    "page": ("/v1/page", "/v1/p"),
    "screen": ("/v1/screen", "/v1/s"),
    "group": ("/v1/group", "/v1/g"),
    "alias": ("/v1/alias", "/v1/a"),
}
BATCH_PATHS = ("/v1/batch", "/v1/import", "/v1/b")
# RudderStack's JS SDK with `useBeacon`: sendBeacon batches, the write key in the query.
BEACON_PATH = "/beacon/v1/batch"


async def batch(request: Request, caller: WriteCaller) -> dict[str, Any]:
    """Many messages at once (Segment's batch endpoint, 500 KB)."""
    return await accept_batch(request, caller, "segment")


@router.post(BEACON_PATH, response_class=FastJSON, include_in_schema=False)
async def beacon_batch(request: Request) -> dict[str, Any]:
    """A beacon cannot set headers: its write key comes as `?writeKey=` (never the secret
    key, which has no business in a URL)."""
    key = request.query_params.get("writeKey")
    caller = classify_key(request, key) if key else await require_write_key(request)
    if caller.kind != "write":
        raise Forbidden("only the write key may be sent in a URL", field="writeKey")
    return await accept_batch(request, caller, "segment")


def _single_route(kind: str) -> Any:
    async def single(request: Request, caller: WriteCaller) -> dict[str, Any]:
        body = await json_body(request)
        received = received_for(request, "segment", trusted=caller.trusted)
        event = outgoing_from_segment(body, received, kind=kind)
        await accept_outgoing(request, [event], "segment")
        return {"success": True}

    single.__name__ = kind
    single.__doc__ = f"One {kind} message."
    return single


for _path in BATCH_PATHS:
    router.add_api_route(
        _path,
        batch,
        methods=["POST"],
        response_class=FastJSON,
        include_in_schema=_path == "/v1/batch",
    )
for _kind, _paths in SINGLE_PATHS.items():
    _route = _single_route(_kind)
    for _path in _paths:
        router.add_api_route(
            _path,
            _route,
            methods=["POST"],
            response_class=FastJSON,
            include_in_schema=len(_path) > len("/v1/x"),
        )
