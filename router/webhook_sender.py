"""One signed webhook attempt over httpx; httpx errors and statuses become DeliveryErrors."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from leadpulse.kernel.config.routing import RetryPolicy
from router.destinations import Target
from router.errors import PermanentFailure, RetriableFailure
from router.retry import parse_retry_after
from router.signing import signature_headers

__all__ = ["WebhookSender", "classify_status"]

_USER_AGENT = "LeadPulse-Webhooks/1"


def classify_status(status: int, retry_after: str | None) -> None:
    """Raise the DeliveryError an HTTP status means; return for 2xx."""
    if 200 <= status < 300:
        return
    if status == 429:
        raise RetriableFailure("http_429", "HTTP 429", parse_retry_after(retry_after))
    if status >= 500:
        raise RetriableFailure("http_5xx", f"HTTP {status}", parse_retry_after(retry_after))
    if 300 <= status < 400:
        raise PermanentFailure("http_3xx", f"HTTP {status} (redirects are not followed)")
    raise PermanentFailure("http_4xx", f"HTTP {status}")


class WebhookSender:
    """Owns one httpx.AsyncClient for all webhook destinations (connection pooling)."""

    def __init__(self, policy: RetryPolicy, transport: httpx.AsyncBaseTransport | None = None):
        timeout = httpx.Timeout(
            connect=policy.connect_timeout_seconds,
            read=policy.read_timeout_seconds,
            write=policy.read_timeout_seconds,
            pool=policy.connect_timeout_seconds,
        )
        # Redirects are refused: following one could lead past the SSRF guard.
        self._client = httpx.AsyncClient(
            timeout=timeout,
            follow_redirects=False,
            transport=transport,
            headers={"user-agent": _USER_AGENT},
            trust_env=False,
        )
        self._closed = False

    async def send(self, target: Target, alert_id: str, body: bytes) -> None:
        """POST the body, signed now; raise RetriableFailure or PermanentFailure."""
        headers = signature_headers(list(target.secrets), alert_id, datetime.now(UTC), body)
        headers["content-type"] = "application/json"
        try:
            response = await self._client.post(target.url, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise RetriableFailure("timeout", f"timed out: {type(exc).__name__}") from exc
        except httpx.TransportError as exc:
            raise RetriableFailure("network", f"network error: {type(exc).__name__}") from exc
        except httpx.InvalidURL as exc:
            raise PermanentFailure("bad_url", "invalid URL") from exc
        classify_status(response.status_code, response.headers.get("retry-after"))

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._client.aclose()
