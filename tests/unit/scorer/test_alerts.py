"""What sales see of a lead in an alert: its score and its top reasons, in order."""

from __future__ import annotations

from scorer.core.alerts import alert_id, lead_summary
from scorer.core.state import LeadState, ModelState
from tests.unit.scorer.effects import RULES, lead, t

MODELS = RULES.compiled.models


def _lead() -> LeadState:
    state = lead()
    state.traits = {"title": "VP Sales", "company": "Initech", "address": {"city": "Berlin"}}
    state.models = {
        "default": ModelState(
            anchor=t(0),
            engagement={
                "page_view": [4.0, t(0)],
                "pricing_page": [30.0, t(1)],
                "unsubscribed": [-25.0, t(2)],
                "demo_requested": [50.0, t(3)],
            },
            fit={"senior_title": 20.0},
            fit_at=t(0),
        )
    }
    return state


def test_the_top_three_reasons_are_the_heaviest_whichever_their_sign() -> None:
    summary = lead_summary(_lead(), MODELS, t(0))
    assert [(r.rule, r.points) for r in summary.top_reasons] == [
        ("demo_requested", 50.0),
        ("pricing_page", 30.0),
        ("unsubscribed", -25.0),
    ]
    assert (summary.score, summary.engagement, summary.fit) == (79.0, 59.0, 20.0)


def test_reasons_and_score_are_as_of_the_alerts_time() -> None:
    """A half-life later engagement counts half; fit does not decay."""
    summary = lead_summary(_lead(), MODELS, t(days=30))
    assert [(r.rule, r.points) for r in summary.top_reasons] == [
        ("demo_requested", 25.0),
        ("senior_title", 20.0),
        ("pricing_page", 15.0),
    ]
    assert summary.score == 49.5


def test_an_alert_shows_only_the_plain_attributes_sales_use() -> None:
    assert lead_summary(_lead(), MODELS, t(0)).attributes == {
        "title": "VP Sales",
        "company": "Initech",
    }


def test_the_same_transition_by_the_same_event_is_the_same_alert() -> None:
    assert alert_id("mql", "ld_1", "lead>mql", "e1") == alert_id("mql", "ld_1", "lead>mql", "e1")
    assert alert_id("mql", "ld_1", "lead>mql", "e1") != alert_id("mql", "ld_1", "lead>mql", "e2")
    assert alert_id("mql", "ld_1", "lead>mql", "e1") != alert_id("mql", "ld_2", "lead>mql", "e1")
