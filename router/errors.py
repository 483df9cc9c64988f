"""Why a delivery failed, and whether trying again can help.

Senders translate httpx and slack_sdk failures into these at the edge, so the retry loop
never sees a third-party type.
"""

from __future__ import annotations

from leadpulse.kernel.errors import LeadPulseError

__all__ = [
    "DeliveryError",
    "DestinationRefused",
    "PermanentFailure",
    "RateLimited",
    "RetriableFailure",
]


class DeliveryError(LeadPulseError):
    """One failed attempt. `reason` is a bounded label for metrics; `detail` is for people."""

    retriable: bool = False

    def __init__(self, reason: str, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.retry_after = retry_after


class RetriableFailure(DeliveryError):
    """5xx, 429, a timeout or a network error: the same request may succeed later."""

    retriable = True


class PermanentFailure(DeliveryError):
    """Any other 4xx, a redirect, a bad URL: sending it again would fail the same way."""


class DestinationRefused(PermanentFailure):
    """The SSRF guard refused the address a destination resolves to."""


class RateLimited(RetriableFailure):
    """The vendor asked us to wait (429): not a failed attempt, the request goes again."""
