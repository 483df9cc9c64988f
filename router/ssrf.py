"""The SSRF guard: a destination from the config must not reach into our own network.

Operator-given destinations (LP_WEBHOOK_URL, LP_SLACK_WEBHOOK_URL) are trusted and never
checked. For the others the host is resolved before every attempt and every address it
resolves to must be public, unless the destination sets `allow_private`. Redirects are
never followed. Known limit: httpx resolves the name again when it connects, so a DNS
server that answers differently within milliseconds (rebinding) is not caught here; run
the router where egress to private ranges is also blocked by the network when that matters.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from router.errors import DestinationRefused, RetriableFailure

__all__ = ["check_destination_url", "is_forbidden_address"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_forbidden_address(address: IPAddress) -> bool:
    """True for anything that is not a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


async def check_destination_url(url: str, allow_private: bool) -> None:
    """Raise DestinationRefused for a bad scheme or a private address; resolve errors retry."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DestinationRefused("bad_url", f"not an http(s) URL: scheme {parts.scheme!r}")
    if allow_private:
        return
    host = parts.hostname
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise RetriableFailure("dns", f"cannot resolve host: {exc.strerror}") from exc
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    refused = sorted({str(a) for a in addresses if is_forbidden_address(a)})
    if refused:
        raise DestinationRefused(
            "ssrf_refused", f"host resolves to a non-public address ({', '.join(refused)})"
        )
