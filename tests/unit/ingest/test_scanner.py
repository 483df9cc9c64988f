"""When an email open or click is a scanner rather than a person."""

from __future__ import annotations

import pytest

from ingest.scanner import ActivityFacts, is_prefetch, scanner_reason
from leadpulse.kernel.config.collect import ScannerConfig

UA = "Mozilla/5.0 (Macintosh) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"
LATER = ActivityFacts(seconds_since_send=3600)


@pytest.mark.parametrize(
    ("method", "prefetch", "agent", "facts", "click", "reason"),
    [
        ("GET", False, UA, LATER, True, None),
        ("HEAD", False, UA, LATER, True, "head_request"),
        ("GET", True, UA, LATER, True, "prefetch"),
        ("GET", False, "Mimecast URL protect", LATER, True, "scanner_user_agent"),
        ("GET", False, None, LATER, False, "no_user_agent"),
        ("GET", False, UA, ActivityFacts(seconds_since_send=3), False, "too_soon_after_send"),
        (
            "GET",
            False,
            UA,
            ActivityFacts(3600, seconds_since_open=0.5),
            True,
            "too_soon_after_open",
        ),
        ("GET", False, UA, ActivityFacts(3600, seconds_since_open=0.5), False, None),
        ("GET", False, UA, ActivityFacts(3600, distinct_links_in_burst=3), True, "link_burst"),
    ],
    ids=[
        "person",
        "head",
        "prefetch",
        "agent",
        "no-agent",
        "send",
        "open",
        "open-not-click",
        "burst",
    ],
)
def test_scanner_reasons(
    method: str,
    prefetch: bool,
    agent: str | None,
    facts: ActivityFacts,
    click: bool,
    reason: str | None,
) -> None:
    """Each scanner sign gives its reason; a person later on gives none."""
    assert scanner_reason(method, prefetch, agent, facts, ScannerConfig(), click=click) == reason


def test_prefetch_headers_are_recognised() -> None:
    """Sec-Purpose / Purpose / X-Moz prefetch markers count as prefetch."""
    assert is_prefetch({"sec-purpose": "prefetch;prerender"})
    assert is_prefetch({"x-moz": "prefetch"})
    assert not is_prefetch({"accept": "image/*"})
