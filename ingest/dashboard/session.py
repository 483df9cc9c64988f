"""The dashboard's login: a person gives the secret key once and gets a signed session cookie.

The key never travels in a URL; the cookie is HttpOnly, Secure, SameSite=Strict (which also
keeps other sites from posting the dashboard's forms), and expires after `SESSION_HOURS`.
"""

from __future__ import annotations

import hmac

from fastapi import Request
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

__all__ = [
    "COOKIE",
    "SESSION_HOURS",
    "LoginRequired",
    "check_key",
    "is_logged_in",
    "new_session",
    "require_login",
]

COOKIE = "lp_session"
SESSION_HOURS = 12


def _signer(request: Request) -> TimestampSigner:
    settings = request.app.state.settings
    secret = (
        settings.require_secret("session_secret")
        if settings.session_secret
        else ("session:" + settings.require_secret("secret_key"))
    )
    return TimestampSigner(secret, salt="leadpulse.dashboard")


def check_key(request: Request, offered: str) -> bool:
    expected = request.app.state.settings.require_secret("secret_key")
    return hmac.compare_digest(offered.encode(), expected.encode())


def new_session(request: Request) -> str:
    return _signer(request).sign(b"dashboard").decode()


def is_logged_in(request: Request) -> bool:
    token = request.cookies.get(COOKIE)
    if not token:
        return False
    try:
        _signer(request).unsign(token, max_age=SESSION_HOURS * 3600)
    except (BadSignature, SignatureExpired):
        return False
    return True


class LoginRequired(Exception):
    """No valid session: the dashboard app answers with the login form's address."""


async def require_login(request: Request) -> None:
    """The dashboard's one login check, a dependency of every page behind the login."""
    if not is_logged_in(request):
        raise LoginRequired
