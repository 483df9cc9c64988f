"""The edge's error tree and its one JSON shape: `{"error": {"code", "message", "field"?}}`.

Bad input is data: every refusal is an `IngestError` with a 4xx status naming the field or
limit, and FastAPI's own validation errors are translated to the same shape, so no client
ever sees a 5xx for something it sent.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from ingest.metrics import EVENTS_REJECTED, SERVER_ERRORS
from leadpulse.kernel.errors import LeadPulseError

__all__ = [
    "BadInput",
    "BodyTooLarge",
    "Forbidden",
    "IngestError",
    "PublishUnavailable",
    "SpoolFull",
    "Unauthorized",
    "error_body",
    "install_error_handlers",
]


class IngestError(LeadPulseError):
    """A request the edge refuses; `status`, `code` and `field` become the JSON answer."""

    status = 400
    code = "bad_request"
    retriable = False

    def __init__(self, message: str, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    def headers(self) -> dict[str, str] | None:
        return None


class BadInput(IngestError):
    status = 400
    code = "invalid"


class BodyTooLarge(IngestError):
    status = 413
    code = "too_large"


class Unauthorized(IngestError):
    status = 401
    code = "unauthorized"

    def headers(self) -> dict[str, str] | None:
        return {"WWW-Authenticate": 'Basic realm="leadpulse"'}


class Forbidden(IngestError):
    status = 403
    code = "forbidden"


class PublishUnavailable(IngestError):
    """Neither the broker nor the spool could take the events: the client should retry."""

    status = 503
    code = "unavailable"
    retriable = True
    retry_after_seconds = 5

    def headers(self) -> dict[str, str] | None:
        return {"Retry-After": str(self.retry_after_seconds)}


class SpoolFull(PublishUnavailable):
    code = "spool_full"
    retry_after_seconds = 30


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    error: dict[str, str] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    return {"error": error}


def _field_of(loc: tuple[Any, ...]) -> str:
    parts = [str(part) for part in loc if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


_SOURCES = (
    ("/v1/collect", "snippet"),
    ("/p.gif", "pixel"),
    ("/o/", "email_open"),
    ("/r/", "email_click"),
    ("/v1/crm/", "crm"),
    ("/v1/webhooks/", "webinar"),
    ("/v1/links", "api"),
    ("/v1/", "segment"),
)


def _source_of(path: str) -> str:
    """The channel a refused request came in on (a bounded metric label)."""
    return next((source for prefix, source in _SOURCES if path.startswith(prefix)), "other")


async def _ingest_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, IngestError)
    source = _source_of(request.url.path)
    EVENTS_REJECTED.labels(exc.code, source).inc()
    if exc.status >= 500:
        SERVER_ERRORS.labels(str(exc.status), source).inc()
    return JSONResponse(
        error_body(exc.code, exc.message, exc.field), status_code=exc.status, headers=exc.headers()
    )


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    field = _field_of(tuple(first.get("loc", ())))
    return JSONResponse(
        error_body("invalid", f"{field}: {first.get('msg', 'invalid')}", field), status_code=400
    )


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    body = exc.detail if isinstance(exc.detail, dict) else error_body(code, str(exc.detail))
    return JSONResponse(
        body,
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


async def _unexpected_error(request: Request, _exc: Exception) -> Response:
    """A bug: counted, answered in the edge's shape; Starlette re-raises it to be logged."""
    SERVER_ERRORS.labels("500", _source_of(request.url.path)).inc()
    return JSONResponse(error_body("internal", "internal error"), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Exception, _unexpected_error)
    app.add_exception_handler(IngestError, _ingest_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
