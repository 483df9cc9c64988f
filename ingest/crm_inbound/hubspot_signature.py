"""HubSpot's `X-HubSpot-Signature-v3`, checked as HubSpot's request-validation guide says.

The signed string is method + request URI + raw body + `X-HubSpot-Request-Timestamp`,
HMAC-SHA256 with the app's client secret, base64 (computed by `hubspot-api-client`'s
`Signature`). The URI is the full one HubSpot called (scheme, host, path, query), with the
percent-escapes of the guide's table decoded. Timestamps more than five minutes from now
are refused either way: HubSpot says older than five minutes, and a far-future one would
let a captured request be replayed for as long as its date lies ahead.
"""

from __future__ import annotations

import hmac

from hubspot.utils.signature import Signature

__all__ = ["MAX_AGE_MS", "SignatureRefused", "signed_uri", "verify_v3"]

MAX_AGE_MS = 5 * 60 * 1000

# The escapes HubSpot decodes before signing (its guide's table); others stay encoded.
_DECODED = {
    "%3A": ":",
    "%2F": "/",
    "%3F": "?",
    "%40": "@",
    "%21": "!",
    "%24": "$",
    "%27": "'",
    "%28": "(",
    "%29": ")",
    "%2A": "*",
    "%2C": ",",
    "%3B": ";",
}


class SignatureRefused(ValueError):
    """Why a request's v3 signature does not hold (said to the caller in the 401)."""


def signed_uri(base_url: str, raw_path: str, query: str) -> str:
    """The URI as HubSpot signs it: our public base URL, the path and query as sent."""
    uri = base_url.rstrip("/") + raw_path + (f"?{query}" if query else "")
    for escape, char in _DECODED.items():
        uri = uri.replace(escape, char).replace(escape.lower(), char)
    return uri


def verify_v3(
    *,
    client_secret: str,
    method: str,
    uri: str,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    now_ms: int,
) -> None:
    """Return if the signature holds; raise SignatureRefused saying why it does not."""
    if not signature or not timestamp:
        raise SignatureRefused("X-HubSpot-Signature-v3 and X-HubSpot-Request-Timestamp needed")
    if not timestamp.isdigit() or len(timestamp) > 16:
        raise SignatureRefused("X-HubSpot-Request-Timestamp is not milliseconds since 1970")
    if abs(now_ms - int(timestamp)) > MAX_AGE_MS:
        raise SignatureRefused("X-HubSpot-Request-Timestamp is more than 5 minutes from now")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SignatureRefused("the body is not UTF-8") from exc
    expected = Signature.get_signature(
        client_secret, text, "v3", http_uri=uri, http_method=method, timestamp=timestamp
    )
    # compare_digest takes str only when ASCII: a header is latin-1 and may not be.
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        raise SignatureRefused("X-HubSpot-Signature-v3 does not match")
