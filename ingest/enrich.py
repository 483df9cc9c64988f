"""What the edge adds to an event before Kafka: client IP (anonymized), parsed user agent,
bot flag and consent flags. Pure functions of the request's facts; no I/O.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from crawlerdetect import CrawlerDetect
from ua_parser import parse as parse_ua

from leadpulse.kernel.config.collect import SiteConfig
from leadpulse.kernel.schema import Consent

__all__ = [
    "ParsedAgent",
    "anonymize_ip",
    "client_ip",
    "consent_from_headers",
    "is_bot",
    "parse_agent",
    "trusted_networks",
]

_IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_MAX_AGENT_CHARS = 1024


@lru_cache(maxsize=4096)
def anonymize_ip(ip: str | None) -> str | None:
    """IPv4 to its /24, IPv6 to its /48 (host bits zeroed); None when not an address.

    Cached: a request's address is anonymized once per request, or per event when a server
    forwards its visitors' addresses, and the same addresses come back."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


def trusted_networks(proxies: Iterable[str]) -> tuple[_IPNetwork, ...]:
    """Parse `LP_TRUSTED_PROXIES` entries (addresses or CIDR networks)."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in proxies)


def _trusted(ip: str, networks: Sequence[_IPNetwork]) -> bool:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in network for network in networks)


def client_ip(peer: str | None, forwarded_for: str | None, networks: Sequence[_IPNetwork]) -> str:
    """The client's address: X-Forwarded-For is believed only hop by hop from trusted proxies.

    Walks the chain from the nearest hop back and stops at the first address that is not a
    trusted proxy, so a client cannot forge its way past the proxies.
    """
    current = peer or ""
    if not forwarded_for or not _trusted(current, networks):
        return current
    for hop in reversed([part.strip() for part in forwarded_for.split(",") if part.strip()]):
        current = hop
        if not _trusted(hop, networks):
            break
    return current


@dataclass(frozen=True, slots=True)
class ParsedAgent:
    browser: str | None
    os: str | None
    device: str | None
    bot: bool


_crawler_detect = CrawlerDetect()


@lru_cache(maxsize=4096)
def parse_agent(user_agent: str | None) -> ParsedAgent:
    """Browser, OS, device and bot flag of a user agent (cached: agents repeat a lot)."""
    if not user_agent:
        return ParsedAgent(None, None, None, bot=False)
    agent = user_agent[:_MAX_AGENT_CHARS]
    parsed = parse_ua(agent)
    browser = parsed.user_agent.family if parsed.user_agent else None
    os_name = parsed.os.family if parsed.os else None
    device = parsed.device.family if parsed.device else None
    return ParsedAgent(browser, os_name, device, bot=is_bot(agent))


def is_bot(user_agent: str) -> bool:
    """Crawlers, monitors and headless browsers, per the maintained crawlerdetect list."""
    return bool(_crawler_detect.isCrawler(user_agent))


def consent_from_headers(dnt: str | None, gpc: str | None, site: SiteConfig) -> Consent:
    """Consent flags from `DNT: 1` / `Sec-GPC: 1`, and whether the site's policy allows use."""
    do_not_track = (dnt or "").strip() == "1"
    global_privacy_control = (gpc or "").strip() == "1"
    return consent_flags(do_not_track, global_privacy_control, site)


def consent_flags(do_not_track: bool, gpc: bool, site: SiteConfig) -> Consent:
    refused = (do_not_track and site.honor_do_not_track) or (
        gpc and site.honor_global_privacy_control
    )
    return Consent(
        do_not_track=do_not_track, global_privacy_control=gpc, tracking_allowed=not refused
    )
