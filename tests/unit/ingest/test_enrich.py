"""Enrichment: anonymized IPs, trusted proxies, user agents, bots, consent."""

from __future__ import annotations

import pytest

from ingest.enrich import anonymize_ip, client_ip, consent_flags, parse_agent, trusted_networks
from leadpulse.kernel.config.collect import SiteConfig


@pytest.mark.parametrize(
    ("ip", "expected"),
    [
        ("203.0.113.77", "203.0.113.0"),
        ("2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd::"),
        ("::ffff:198.51.100.9", "198.51.100.0"),
        ("not an ip", None),
        (None, None),
    ],
)
def test_ips_are_cut_to_24_and_48_bits(ip: str | None, expected: str | None) -> None:
    """IPv4 keeps its /24, IPv6 its /48; mapped IPv4 counts as IPv4; junk is dropped."""
    assert anonymize_ip(ip) == expected


def test_forwarded_for_is_walked_back_through_trusted_proxies_only() -> None:
    """The first untrusted hop from the right is the client; a forged left part is ignored."""
    proxies = trusted_networks(["10.0.0.0/8"])
    assert client_ip("10.1.1.1", "6.6.6.6, 198.51.100.4, 10.2.2.2", proxies) == "198.51.100.4"
    assert client_ip("198.51.100.4", "6.6.6.6", proxies) == "198.51.100.4"
    assert client_ip("10.1.1.1", None, proxies) == "10.1.1.1"


def test_user_agents_are_parsed_and_bots_flagged() -> None:
    """A desktop Chrome is a person on Chrome; Googlebot and headless Chrome are bots."""
    person = parse_agent(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36"
    )
    assert (person.browser, person.os, person.bot) == ("Chrome", "Windows", False)
    assert parse_agent(
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    ).bot
    assert parse_agent("Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/131.0.0.0").bot


def test_consent_follows_the_site_policy() -> None:
    """GPC refuses tracking when honored, and is only recorded when the policy ignores it."""
    honoring = SiteConfig()
    ignoring = SiteConfig(honor_global_privacy_control=False, honor_do_not_track=False)
    assert consent_flags(False, True, honoring).tracking_allowed is False
    assert consent_flags(True, True, ignoring).tracking_allowed is True
    assert consent_flags(True, False, ignoring).do_not_track is True
