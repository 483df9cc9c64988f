"""HubSpot client failures as the router's delivery errors, and its rate-limit headers.

The client (`hubspot-api-client`, generated from HubSpot's OpenAPI) raises its own
ApiException per API package and lets urllib3's errors through; retry code sees neither.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import orjson
import urllib3
from hubspot.crm.contacts import ApiException as ContactsApiException
from hubspot.crm.properties import ApiException as PropertiesApiException

from router.errors import DeliveryError, PermanentFailure, RateLimited, RetriableFailure
from router.retry import parse_retry_after

__all__ = ["API_ERRORS", "RateHeaders", "rate_headers", "translate"]

API_ERRORS = (ContactsApiException, PropertiesApiException)


@dataclass(frozen=True)
class RateHeaders:
    """HubSpot's X-HubSpot-RateLimit-* answer: the window's size, its max, what is left."""

    maximum: int | None
    remaining: int | None
    interval_seconds: float | None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def rate_headers(headers: Mapping[str, str] | None) -> RateHeaders:
    got = {k.lower(): v for k, v in (headers or {}).items()}
    interval = _int(got.get("x-hubspot-ratelimit-interval-milliseconds"))
    return RateHeaders(
        maximum=_int(got.get("x-hubspot-ratelimit-max")),
        remaining=_int(got.get("x-hubspot-ratelimit-remaining")),
        interval_seconds=interval / 1000 if interval is not None else None,
    )


def _category(body: object) -> str:
    try:
        data = orjson.loads(body) if isinstance(body, bytes | str) else {}
    except orjson.JSONDecodeError:
        return ""
    return (
        str(data.get("category") or data.get("errorType") or "") if isinstance(data, dict) else ""
    )


def translate(exc: Exception) -> DeliveryError:
    """The DeliveryError an ApiException or a urllib3 error means."""
    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return RetriableFailure("timeout", "timed out")
    if isinstance(exc, urllib3.exceptions.HTTPError):
        return RetriableFailure("network", f"network error: {type(exc).__name__}")
    if not isinstance(exc, API_ERRORS):
        raise TypeError(f"not a HubSpot client error: {type(exc).__name__}") from exc
    status = int(exc.status or 0)
    headers = dict(exc.headers or {})
    category = _category(exc.body)
    if status == 429:
        wait = parse_retry_after(headers.get("Retry-After") or headers.get("retry-after"))
        if wait is None:
            wait = rate_headers(headers).interval_seconds
        return RateLimited("http_429", f"HTTP 429 {category}".strip(), wait)
    if status == 0 or status >= 500:
        return RetriableFailure("http_5xx", f"HTTP {status}")
    if status == 409:
        return PermanentFailure("conflict", f"HTTP 409 {category}".strip())
    if status in (401, 403):
        return PermanentFailure("unauthorized", f"HTTP {status} {category}".strip())
    reason = "validation" if status == 400 else "http_4xx"
    return PermanentFailure(reason, f"HTTP {status} {category}".strip())
