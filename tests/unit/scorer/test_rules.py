"""Engagement rules with caps, fit rules and disqualify rules from the default config."""

from __future__ import annotations

import pytest

from leadpulse.kernel.config import load_config
from scorer.core.facts import facts_of
from scorer.core.rules import compile_rules, disqualified_by, fit_points, period_bucket
from scorer.core.scoring import model_score, score_event
from scorer.core.state import ModelState
from tests.unit.scorer.events import at, page, track

RULES = compile_rules(load_config().scoring)
MODEL = RULES.models[0]


def _score(*events: object) -> tuple[ModelState, list[list[tuple[str, float]]]]:
    state = ModelState(anchor=at().timestamp(), half_life_days=30)
    awarded = [score_event(state, MODEL, facts_of(e)) for e in events]  # type: ignore[arg-type]
    return state, awarded


def test_a_pricing_page_matches_page_view_and_pricing_rules() -> None:
    """One page view can match several rules; each contributes."""
    _, awarded = _score(page("/demo/pricing", anon="a"))
    assert sorted(awarded[0]) == [("page_view", 1.0), ("pricing_page", 10.0)]


def test_daily_cap_limits_page_views() -> None:
    """page_view is capped at 15 points a day; the next day scores again."""
    same_day = [page(f"/demo/blog/{i}", anon="a", when=at(minutes=i)) for i in range(20)]
    state, awarded = _score(*same_day, page("/demo/blog/x", anon="a", when=at(days=1)))
    assert sum(p for a in awarded[:20] for _, p in a) == 15
    assert awarded[20] == [("page_view", 1.0)]
    assert state.caps["page_view"]


def test_negative_points_are_not_capped() -> None:
    """Unsubscribing always subtracts its points."""
    _, awarded = _score(track("Unsubscribed", email="a@b.example"))
    assert awarded[0] == [("unsubscribed", -25.0)]


def test_breakdown_sums_to_the_score() -> None:
    """Every point is explainable: the breakdown adds up to the total."""
    state, _ = _score(
        page("/demo/pricing", anon="a"),
        track("Email Link Clicked", email="a@b.example", when=at(days=2)),
        track("Unsubscribed", email="a@b.example", when=at(days=3)),
    )
    score = model_score(state, 30, at(days=10).timestamp())
    assert sum(points for _, points, _ in score.breakdown) == pytest.approx(score.total)


@pytest.mark.parametrize(
    ("traits", "email", "expected"),
    [
        ({"title": "VP of Sales"}, "ann@acme.example", {"senior_title": 20}),
        ({"title": "Sales Manager"}, "ann@acme.example", {"manager_title": 10}),
        ({"company_size": "250"}, "ann@acme.example", {"company_size_fit": 15}),
        ({"company_size": 20000}, "ann@acme.example", {}),
        ({"industry": "Software"}, "ann@acme.example", {"target_industry": 10}),
        ({}, "ann@gmail.com", {"free_mail": -15}),
        ({}, "spy@rivalscore.example", {"competitor": -100}),
        ({}, "cto@globex.example", {"target_account": 20}),
    ],
    ids=["senior", "manager", "size", "too-big", "industry", "free-mail", "competitor", "target"],
)
def test_fit_rules(traits: dict[str, object], email: str, expected: dict[str, float]) -> None:
    """Fit points come from traits and the email domain."""
    assert fit_points(MODEL, traits, email, RULES.lists) == expected


def test_students_and_competitors_are_disqualified() -> None:
    """Disqualify rules name why a person is never a buyer."""
    assert disqualified_by(RULES, {"title": "PhD student"}, "x@uni.example") == "student"
    assert disqualified_by(RULES, {}, "x@rivalscore.example") == "competitor"
    assert disqualified_by(RULES, {"title": "CTO"}, "x@acme.example") is None


def test_period_buckets() -> None:
    """Caps count per UTC day, ISO week and month."""
    t = at().timestamp()
    assert period_bucket("day", t) == "d2026-03-02"
    assert period_bucket("week", t) == "w2026-10"
    assert period_bucket("month", t) == "m2026-03"
    assert period_bucket("ever", t) == "ever"
