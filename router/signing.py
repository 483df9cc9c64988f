"""Standard Webhooks headers, signed with the `standardwebhooks` library. Pure."""

from __future__ import annotations

from datetime import datetime

from standardwebhooks import Webhook

__all__ = ["signature_headers", "split_secrets"]


def split_secrets(value: str) -> list[str]:
    """`whsec_a whsec_b` -> both: during a rotation the old and the new secret both sign."""
    return [part for part in value.split() if part]


def signature_headers(
    secrets: list[str], msg_id: str, timestamp: datetime, body: bytes
) -> dict[str, str]:
    """webhook-id, webhook-timestamp (UTC seconds) and one v1 signature per secret."""
    text = body.decode()
    signatures = [Webhook(secret).sign(msg_id, timestamp, text) for secret in secrets]
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
