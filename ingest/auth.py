"""Who may do what: the public write key (browser, pixels, client SDKs) and the secret key.

The write key may only send behavior and identify; everything else needs the secret key
(`Authorization: Bearer`). Missing credentials are 401, wrong ones 403. Comparisons are
constant-time so a key cannot be guessed byte by byte from response times.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass
from typing import Literal

from fastapi import Request

from ingest.body import json_body
from ingest.errors import Forbidden, Unauthorized

__all__ = [
    "Caller",
    "classify_key",
    "credential_from_header",
    "require_secret_key",
    "require_write_key",
]

KeyKind = Literal["write", "secret"]


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sent a request; a secret-key caller's identity claims count as verified."""

    kind: KeyKind

    @property
    def trusted(self) -> bool:
        return self.kind == "secret"


def _equal(given: str, expected: str | None) -> bool:
    if not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def _key(request: Request, name: str) -> str | None:
    value = getattr(request.app.state.settings, name)
    return None if value is None else str(value.get_secret_value())


def credential_from_header(authorization: str | None) -> tuple[str, str] | None:
    """(scheme, credential) from an Authorization header: Basic gives its username."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if scheme == "bearer":
        return ("bearer", value)
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return ("basic", "")
        return ("basic", decoded.partition(":")[0])
    return (scheme, "")


def classify_key(request: Request, key: str) -> Caller:
    """The caller a key stands for; 403 when it is neither key."""
    if _equal(key, _key(request, "secret_key")):
        return Caller("secret")
    if _equal(key, _key(request, "write_key")):
        return Caller("write")
    raise Forbidden("the key is not valid for this project", field="writeKey")


async def require_secret_key(request: Request) -> Caller:
    """FastAPI dependency: `Authorization: Bearer <secret key>` (401 missing, 403 wrong)."""
    found = credential_from_header(request.headers.get("authorization"))
    if found is None or not found[1]:
        raise Unauthorized("the secret key is required: Authorization: Bearer <key>")
    if not _equal(found[1], _key(request, "secret_key")):
        raise Forbidden("this needs the secret key", field="Authorization")
    return Caller("secret")


async def require_write_key(request: Request) -> Caller:
    """FastAPI dependency: the write key or the secret key, by header or `writeKey` in body.

    As Segment does: HTTP Basic with the key as username, or a `writeKey` field in the JSON
    body; a Bearer header is accepted too.
    """
    found = credential_from_header(request.headers.get("authorization"))
    if found is not None and found[1]:
        return classify_key(request, found[1])
    body = await json_body(request)
    key = body.get("writeKey") if isinstance(body, dict) else None
    if key is None:
        raise Unauthorized("a write key is required: HTTP Basic username or writeKey")
    if not isinstance(key, str) or not key:
        raise Forbidden("writeKey must be a non-empty string", field="writeKey")
    return classify_key(request, key)
