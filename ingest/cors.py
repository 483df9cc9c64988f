"""CORS for the write paths browser SDKs post to: the Segment paths and `/v1/collect`.

Only pages of `site.origins` (and ingest's own origin, where the demo site lives) get a
grant. A preflight from any other origin, or asking for a method or header no SDK sends,
is refused without one, and so is an actual request from such an origin (403, nothing
recorded: a `text/plain` beacon needs no preflight, so the browser alone would not stop
it). Requests without an `Origin` (server SDKs, curl) pass untouched.

The headers are the ones the SDKs set, read from their code: analytics.js (npm
`@segment/analytics-next`) sends `Authorization: Basic`, `Content-Type: text/plain` and
`X-Retry-Count` on a retry; RudderStack's JS SDK sends `Authorization`, `Content-Type`,
`AnonymousId`, `SentAt` and, when retrying, `Rsa-Recovered` and `Rsa-Retry-*`.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

import orjson
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ALLOWED_HEADERS", "ALLOWED_METHODS", "MAX_AGE_SECONDS", "WriteCors", "origin_of"]

ALLOWED_METHODS = ("POST", "OPTIONS")
ALLOWED_HEADERS = (
    "authorization",
    "content-type",
    "content-encoding",
    "x-retry-count",
    "anonymousid",
    "sentat",
    "rsa-recovered",
    "rsa-retry-attempt",
    "rsa-retry-reason",
    "rsa-since-first-attempt",
    "rsa-since-last-attempt",
)
MAX_AGE_SECONDS = 600
_EXPOSED = "Retry-After"


def origin_of(url: str) -> str:
    """`scheme://host[:port]`, lower-cased, as a browser's Origin header writes it."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower()


def _refusal(status: int, code: str, message: str, field: str) -> tuple[int, bytes]:
    return status, orjson.dumps({"error": {"code": code, "message": message, "field": field}})


class WriteCors:
    """ASGI middleware: CORS on `paths` for `origins` only; every other path untouched."""

    def __init__(self, app: ASGIApp, *, paths: Iterable[str], origins: Iterable[str]) -> None:
        self.app = app
        self.paths = frozenset(paths)
        self.origins = frozenset(origin_of(o) for o in origins)
        self._allowed_headers = frozenset(ALLOWED_HEADERS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        allowed = origin.lower() in self.origins
        if scope["method"] == "OPTIONS":
            await self._preflight(headers, origin, allowed, send)
            return
        if not allowed:
            await _answer(send, *_refusal(403, "forbidden", _NOT_ALLOWED, "Origin"), {})
            return
        grant = {"access-control-allow-origin": origin, "access-control-expose-headers": _EXPOSED}

        async def send_with_grant(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"vary"]
                raw += [(k.encode(), v.encode()) for k, v in grant.items()]
                raw.append((b"vary", b"Origin"))
                message = {**message, "headers": raw}
            await send(message)

        await self.app(scope, receive, send_with_grant)

    async def _preflight(self, headers: Headers, origin: str, allowed: bool, send: Send) -> None:
        if not allowed:
            await _answer(send, *_refusal(403, "forbidden", _NOT_ALLOWED, "Origin"), {})
            return
        method = headers.get("access-control-request-method", "POST").upper()
        if method not in ALLOWED_METHODS:
            message = f"method {method} is not allowed here; POST is"
            refusal = _refusal(400, "invalid", message, "Access-Control-Request-Method")
            await _answer(send, *refusal, {"vary": "Origin"})
            return
        asked = [
            name.strip().lower()
            for name in headers.get("access-control-request-headers", "").split(",")
            if name.strip()
        ]
        refused = [name for name in asked if name not in self._allowed_headers]
        if refused:
            message = f"request headers not allowed: {', '.join(refused)}"
            refusal = _refusal(400, "invalid", message, "Access-Control-Request-Headers")
            await _answer(send, *refusal, {"vary": "Origin"})
            return
        grant = {
            "access-control-allow-origin": origin,
            "access-control-allow-methods": ", ".join(ALLOWED_METHODS),
            "access-control-allow-headers": ", ".join(ALLOWED_HEADERS),
            "access-control-max-age": str(MAX_AGE_SECONDS),
            "vary": "Origin",
        }
        await _answer(send, 204, b"", grant)


_NOT_ALLOWED = "this origin may not send events here; add it to site.origins"


async def _answer(send: Send, status: int, body: bytes, headers: dict[str, str]) -> None:
    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    if body:
        size = str(len(body)).encode()
        raw += [(b"content-type", b"application/json"), (b"content-length", size)]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
