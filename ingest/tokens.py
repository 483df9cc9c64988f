"""Signed email tokens: what a click or open link carries, and checking it on the way back.

The token is signed (itsdangerous, HMAC-SHA1 keyed by LP_TOKEN_SECRET with a per-purpose
salt, so an open token is never a valid click token) and carries the destination, the
recipient, the campaign, the send time and the expiry. It is signed, not encrypted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from itsdangerous import BadSignature, URLSafeSerializer

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


def _serializer(secret: str, kind: TokenKind) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=f"leadpulse.{kind}")


def dump_token(secret: str, kind: TokenKind, token: EmailToken) -> str:
    payload: dict[str, Any] = {"e": token.email, "s": token.sent_at, "x": token.expires_at}
    if token.campaign:
        payload["c"] = token.campaign
    if token.url is not None:
        payload["u"] = token.url
    return str(_serializer(secret, kind).dumps(payload))


def load_token(secret: str, kind: TokenKind, text: str, now: float) -> EmailToken:
    """The token's contents; TokenError when not genuine, TokenExpired when too old."""
    if len(text) > 4096:
        raise TokenError("token too long")
    try:
        payload = _serializer(secret, kind).loads(text)
    except BadSignature as exc:
        raise TokenError("token signature does not match") from exc
    except (ValueError, TypeError) as exc:  # malformed base64 or JSON inside a good signature
        raise TokenError("token is malformed") from exc
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
