"""The content map: consideration stage and topics of pages, and of leads."""

from __future__ import annotations

from leadpulse.kernel.config import load_config
from scorer.core.content import ContentMap, lead_consideration, top_interests

CONTENT = ContentMap(load_config().scoring.content)


def test_pages_map_to_stage_and_topics() -> None:
    """URL globs give a page's consideration stage and topics; unknown pages give none."""
    pricing = CONTENT.page("/demo/pricing")
    assert pricing is not None and (pricing.consideration, pricing.topics) == ("mid", ("pricing",))
    assert CONTENT.page("/demo/case-studies/acme").consideration == "late"  # type: ignore[union-attr]
    assert CONTENT.page("/somewhere/else") is None


def test_lead_consideration_is_the_most_advanced_read() -> None:
    """Reading one late page makes a lead late-stage."""
    assert lead_consideration({"early": 9, "late": 1}) == "late"
    assert lead_consideration({}) is None


def test_interests_are_the_most_read_topics() -> None:
    """Top interests rank topics by reads."""
    assert top_interests({"pricing": 3, "trends": 5, "demo": 1, "rfp": 2}) == [
        "trends",
        "pricing",
        "rfp",
    ]
