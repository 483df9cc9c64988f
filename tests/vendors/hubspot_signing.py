"""HubSpot's v3 request signature, computed here the way HubSpot's guide describes it
(developers.hubspot.com, "Validating requests", v3), independently of the code under test:

    base64(HMAC-SHA256(client secret, method + URI + body + X-HubSpot-Request-Timestamp))
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

__all__ = ["hubspot_headers", "sign_v3"]


def sign_v3(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    message = method.encode() + uri.encode() + body + timestamp.encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def hubspot_headers(
    secret: str, uri: str, body: bytes, *, age_seconds: float = 0, method: str = "POST"
) -> dict[str, str]:
    """The headers HubSpot sends with a webhook request signed `age_seconds` ago."""
    timestamp = str(int((time.time() - age_seconds) * 1000))
    return {
        "Content-Type": "application/json",
        "X-HubSpot-Signature-v3": sign_v3(secret, method, uri, body, timestamp),
        "X-HubSpot-Request-Timestamp": timestamp,
    }
