"""Mint tracked links for one email recipient: a click URL and an open-pixel URL.

Pure, no I/O: used by `leadpulse link` and `POST /v1/links`.
"""

from __future__ import annotations

import time

from ingest.tokens import EmailToken, dump_token
from ingest.urls import safe_destination
from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.settings import Settings

__all__ = ["check_email", "mint_links"]

_MAX_EMAIL_CHARS = 254
_MAX_CAMPAIGN_CHARS = 200
_MAX_EXPIRY_DAYS = 3650


def check_email(email: object) -> str:
    """A plausible email address, trimmed; ValueError naming the field otherwise."""
    if not isinstance(email, str):
        raise ValueError("email: must be a string")  # noqa: TRY004 - callers catch ValueError
    email = email.strip()
    local, at, domain = email.rpartition("@")
    if (
        not at
        or not local
        or "." not in domain.strip(".")
        or len(email) > _MAX_EMAIL_CHARS
        or any(ch.isspace() or ord(ch) < 0x20 for ch in email)
    ):
        raise ValueError("email: not an email address")
    return email


def mint_links(
    settings: Settings,
    config: LeadPulseConfig,
    url: str,
    email: str,
    campaign: str | None,
    expires_in_days: int | None,
) -> dict[str, str]:
    """{"click_url", "open_url"} for `email`; ValueError naming the bad field."""
    destination = safe_destination(url)
    address = check_email(email)
    if campaign is not None and (
        not isinstance(campaign, str) or len(campaign) > _MAX_CAMPAIGN_CHARS
    ):
        raise ValueError(f"campaign: must be a string of at most {_MAX_CAMPAIGN_CHARS} characters")
    days = config.collect.link_expiry_days if expires_in_days is None else expires_in_days
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= _MAX_EXPIRY_DAYS:
        raise ValueError(f"expires_in_days: must be a whole number from 1 to {_MAX_EXPIRY_DAYS}")
    secret = settings.require_secret("token_secret")
    now = int(time.time())
    token = EmailToken(
        email=address,
        campaign=campaign or None,
        sent_at=now,
        expires_at=now + days * 86400,
        url=destination,
    )
    base = settings.base_url.rstrip("/")
    open_token = EmailToken(address, token.campaign, token.sent_at, token.expires_at)
    return {
        "click_url": f"{base}/r/{dump_token(secret, 'click', token)}",
        "open_url": f"{base}/o/{dump_token(secret, 'open', open_token)}.gif",
    }
