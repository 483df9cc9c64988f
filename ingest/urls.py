"""Which click destinations are acceptable: absolute http(s) URLs, and nothing that a
browser could read as another host or a script.

Checked when a link is minted and again before every redirect, so a token signed under
an older, looser rule still cannot send anyone off to `//evil.example` or `javascript:`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["MAX_URL_CHARS", "safe_destination"]

MAX_URL_CHARS = 2048


def safe_destination(url: object) -> str:
    """The URL itself when safe to redirect to; ValueError saying why otherwise."""
    if not isinstance(url, str) or not url:
        raise ValueError("url: must be a non-empty string")
    if len(url) > MAX_URL_CHARS:
        raise ValueError(f"url: longer than {MAX_URL_CHARS} characters")
    # Browsers read a backslash as a slash and drop tabs and newlines inside URLs, so
    # `https:\\evil.example` or `ht\ttps://` would not mean what a parser says it means.
    if any(ch == "\\" or ord(ch) < 0x21 or ord(ch) == 0x7F for ch in url):
        raise ValueError("url: contains whitespace, control characters or backslashes")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError("url: must be an absolute http or https URL")
    if not url.lower().startswith(f"{parts.scheme.lower()}://"):
        raise ValueError("url: must be an absolute http or https URL")
    host = parts.hostname
    if not host or host.startswith(".") or parts.username or parts.password:
        raise ValueError("url: needs a host and no user name or password")
    try:
        _ = parts.port
    except ValueError as exc:
        raise ValueError("url: the port is not valid") from exc
    return url
