"""Email tokens: what a click or open link carries, and checking it on the way back.

The token carries the destination, the recipient, the campaign, the send time and the
expiry, encrypted and authenticated with Fernet (AES-128-CBC + HMAC-SHA256, from
`cryptography`): a link forwarded, logged by a proxy or pasted in a ticket does not give
away whose it was. The key is derived from LP_TOKEN_SECRET with HKDF, one key per purpose,
so an open token is never a valid click token.
"""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["EmailToken", "TokenError", "TokenExpired", "TokenKind", "dump_token", "load_token"]

TokenKind = Literal["click", "open"]


class TokenError(ValueError):
    """A token that is forged, altered or malformed."""


class TokenExpired(TokenError):
    """A genuine token past its expiry."""


@dataclass(frozen=True, slots=True)
class EmailToken:
    email: str
    campaign: str | None
    sent_at: int  # unix seconds
    expires_at: int  # unix seconds
    url: str | None = None  # the destination (click tokens only)


@functools.lru_cache(maxsize=8)
def _fernet(secret: str, kind: TokenKind) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"leadpulse.{kind}".encode()
    ).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def dump_token(secret: str, kind: TokenKind, token: EmailToken) -> str:
    payload: dict[str, Any] = {"e": token.email, "s": token.sent_at, "x": token.expires_at}
    if token.campaign:
        payload["c"] = token.campaign
    if token.url is not None:
        payload["u"] = token.url
    return _fernet(secret, kind).encrypt(orjson.dumps(payload)).decode().rstrip("=")


def load_token(secret: str, kind: TokenKind, text: str, now: float) -> EmailToken:
    """The token's contents; TokenError when not genuine, TokenExpired when too old."""
    if len(text) > 4096:
        raise TokenError("token too long")
    padded = text + "=" * (-len(text) % 4)
    try:
        payload = orjson.loads(_fernet(secret, kind).decrypt(padded.encode()))
    except InvalidToken as exc:
        raise TokenError("token signature does not match") from exc
    except (ValueError, TypeError) as exc:  # not ASCII, or not JSON inside a genuine token
        raise TokenError("token is malformed") from exc
    if not isinstance(payload, dict):
        raise TokenError("token is malformed")
    try:
        token = EmailToken(
            email=_str(payload["e"]),
            campaign=_str(payload["c"]) if payload.get("c") is not None else None,
            sent_at=_int(payload["s"]),
            expires_at=_int(payload["x"]),
            url=_str(payload["u"]) if kind == "click" else None,
        )
    except (KeyError, TypeError) as exc:
        raise TokenError("token is missing fields") from exc
    if now > token.expires_at:
        raise TokenExpired("token has expired")
    return token


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("not an integer")
    return value
