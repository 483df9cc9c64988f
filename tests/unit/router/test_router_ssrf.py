"""The SSRF guard refuses private, loopback and link-local destinations unless allowed."""

from __future__ import annotations

import ipaddress

import pytest

from router.errors import DestinationRefused
from router.ssrf import check_destination_url, is_forbidden_address


@pytest.mark.parametrize(
    ("address", "forbidden"),
    [
        ("127.0.0.1", True),
        ("10.1.2.3", True),
        ("172.16.0.9", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),
        ("100.64.0.1", True),
        ("0.0.0.0", True),  # noqa: S104 - an address to classify, not to bind
        ("::1", True),
        ("fe80::1", True),
        ("fd00::1", True),
        ("::ffff:127.0.0.1", True),
        ("8.8.8.8", False),
        ("2606:4700:4700::1111", False),
    ],
)
def test_addresses_are_classified(address: str, forbidden: bool) -> None:
    """Only public unicast addresses pass."""
    assert is_forbidden_address(ipaddress.ip_address(address)) is forbidden


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hooks",
        "http://localhost/hooks",
        "http://[::1]/x",
        "http://169.254.169.254/latest/meta-data",
    ],
    ids=["loopback", "localhost-name", "ipv6-loopback", "cloud-metadata"],
)
async def test_private_destinations_are_refused(url: str) -> None:
    """A URL that is or resolves to a non-public address is refused."""
    with pytest.raises(DestinationRefused, match="non-public"):
        await check_destination_url(url, allow_private=False)


async def test_allow_private_lets_loopback_through() -> None:
    """allow_private: true in the config admits a loopback destination."""
    await check_destination_url("http://127.0.0.1:9/hooks", allow_private=True)


async def test_only_http_schemes_are_accepted() -> None:
    """file:, gopher: and friends are refused whatever allow_private says."""
    with pytest.raises(DestinationRefused, match="scheme"):
        await check_destination_url("file:///etc/passwd", allow_private=True)
