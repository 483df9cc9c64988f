"""The content map: consideration stage and topics of pages, and of leads."""

from __future__ import annotations

from leadpulse.kernel.config import load_config
from scorer.core.content import ContentMap, lead_consideration, read_page, top_interests
from scorer.core.state import LeadState

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


def test_a_page_read_counts_its_stage_and_topics_on_the_lead() -> None:
    """Each read counts; a page the map does not know counts nothing."""
    lead = LeadState(lead_id="ld_1", created=0.0, stage_at=0.0, last_seen=0.0)
    for path in ("/demo/pricing", "/demo/pricing", "/demo/case-studies/acme", "/else", None):
        read_page(lead, CONTENT, path)
    assert lead.consideration == {"mid": 2, "late": 1}
    assert lead.topics["pricing"] == 2
    assert lead_consideration(lead.consideration) == "late"
