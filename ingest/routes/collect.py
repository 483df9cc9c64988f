"""The browser's channels: the `/lp.js` snippet, its beacons at `/v1/collect` (CORS for
the configured site origins only, by `ingest.cors`), and the `/p.gif` pixel for pages
without JavaScript.
"""

from __future__ import annotations

import uuid
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from ingest.auth import Caller, classify_key, require_write_key
from ingest.errors import BadInput, Unauthorized
from ingest.intake import accept_outgoing, received_for
from ingest.responses import FastJSON
from ingest.routes.segment_api import accept_batch
from ingest.segment import outgoing_from_segment

__all__ = ["PIXEL_GIF", "router"]

router = APIRouter()

PIXEL_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
_NO_STORE = {"Cache-Control": "no-store, max-age=0"}


_CONFIG_MARK = b"/*LP_CONFIG*/ { dnt: true, gpc: true, days: 395 }"


@lru_cache(maxsize=1)
def _snippet_source() -> bytes:
    source = resources.files("ingest").joinpath("static/lp.js").read_bytes()
    if _CONFIG_MARK not in source:
        raise RuntimeError("lp.js lost its config mark")
    return source


def _snippet(request: Request) -> bytes:
    """lp.js with the site's consent policy and cookie lifetime filled in."""
    cached: bytes | None = getattr(request.app.state, "snippet", None)
    if cached is None:
        site = request.app.state.config.site
        policy = {
            "dnt": site.honor_do_not_track,
            "gpc": site.honor_global_privacy_control,
            "days": site.cookie_days,
        }
        cached = _snippet_source().replace(_CONFIG_MARK, orjson.dumps(policy))
        request.app.state.snippet = cached
    return cached


@router.get("/lp.js", include_in_schema=False)
async def snippet(request: Request) -> Response:
    """The tracking snippet: small, dependency-free, reads its write key from its tag."""
    return Response(
        _snippet(request),
        media_type="application/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )


@router.post("/v1/collect")
async def collect(request: Request) -> Response:
    """The snippet's beacons: a Segment-style batch with `writeKey` in the body."""
    caller: Caller = await require_write_key(request)
    return FastJSON(await accept_batch(request, caller, "snippet"))


def _query_text(params: Any, name: str, limit: int = 2048) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if "\x00" in value:
        raise BadInput(f"{name}: contains a NUL character", field=name, code="nul")
    return str(value)[:limit]


@router.get("/p.gif", include_in_schema=False)
async def pixel(request: Request) -> Response:
    """Pixel fallback: `?k=<write key>&a=<anonymous id>&u=<url>[&e=<event>&r=&ti=]`."""
    params = request.query_params
    key = _query_text(params, "k", 200)
    if key is None:
        raise Unauthorized("a write key is required: k=<write key>")
    caller = classify_key(request, key)
    anonymous_id = _query_text(params, "a", 200) or _query_text(params, "uid", 200)
    if anonymous_id is None:
        raise BadInput("a: an anonymous id is required", field="a")
    event = _query_text(params, "e", 200)
    url = _query_text(params, "u")
    message: dict[str, Any] = {
        "type": "track" if event else "page",
        "event": event,
        "anonymousId": anonymous_id,
        "messageId": _query_text(params, "m", 200) or str(uuid.uuid4()),
        "properties": {
            k: v
            for k, v in (
                ("url", url),
                ("path", urlsplit(url).path if url else None),
                ("referrer", _query_text(params, "r")),
                ("title", _query_text(params, "ti", 512)),
            )
            if v
        },
    }
    received = received_for(request, "pixel", trusted=caller.trusted)
    await accept_outgoing(request, [outgoing_from_segment(message, received)], "pixel")
    return Response(PIXEL_GIF, media_type="image/gif", headers=_NO_STORE)
