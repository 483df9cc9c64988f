"""One Slack incoming-webhook attempt through slack_sdk; its failures become DeliveryErrors.

The SDK's own retry handlers are turned off: our policy retries (and honors Retry-After),
so attempts, backoff and the DLQ behave the same for Slack as for webhooks.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from slack_sdk.webhook.async_client import AsyncWebhookClient

from leadpulse.kernel.config.routing import RetryPolicy
from router.destinations import Target
from router.errors import PermanentFailure, RetriableFailure
from router.webhook_sender import classify_status

__all__ = ["SlackSender"]


class SlackSender:
    """Owns one aiohttp session, opened on first use, shared by every Slack destination."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._timeout = aiohttp.ClientTimeout(
            total=policy.connect_timeout_seconds + policy.read_timeout_seconds,
            sock_connect=policy.connect_timeout_seconds,
            sock_read=policy.read_timeout_seconds,
        )
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    def _client(self, url: str) -> AsyncWebhookClient:
        if self._closed:
            raise RuntimeError("slack sender is closed")
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout, trust_env=False)
        return AsyncWebhookClient(url, session=self._session, retry_handlers=[])

    async def send(self, target: Target, message: dict[str, Any]) -> None:
        client = self._client(target.url)
        try:
            response = await client.send_dict(message)
        except TimeoutError as exc:
            raise RetriableFailure("timeout", "timed out") from exc
        except aiohttp.InvalidURL as exc:
            raise PermanentFailure("bad_url", "invalid URL") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise RetriableFailure("network", f"network error: {type(exc).__name__}") from exc
        classify_status(response.status_code, response.headers.get("Retry-After"))

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._session is not None:
            await self._session.close()
