"""The stage machine walked over a lead's steps in event-time order: values in, history out."""

from __future__ import annotations

import pytest

from scorer.core.stage_walk import entries_of, walk
from scorer.core.steps import Entry
from tests.unit.scorer.effects import DAY, RULES, step, t

EMAIL = "ann@initech.example"


def _stages(history: list[Entry]) -> list[tuple[str, str | None]]:
    return [(e.stage, e.reason) for e in history]


def test_a_demo_requested_anonymously_fast_passes_the_lead_when_it_identifies() -> None:
    """Visitor until identified; the held demo then counts, and its alert names the demo."""
    w = walk([], [step(t(0), "demo", "f", 50), step(t(5), "signup", "i")], RULES, EMAIL)
    assert _stages(w.history) == [("visitor", "new"), ("lead", "identified"), ("mql", "fast_pass")]
    mql = w.history[-1]
    assert (mql.at, mql.trigger) == (t(5), "demo")
    assert w.stage == "mql" and w.held is None


def test_an_anonymous_visitor_stays_a_visitor_and_keeps_its_fast_pass_held() -> None:
    w = walk([], [step(t(0), "page", "pe", 1), step(t(1), "demo", "f", 50)], RULES, None)
    assert _stages(w.history) == [("visitor", "new")]
    assert w.held == "demo"


def test_points_crossing_the_threshold_make_an_mql_of_the_crossing_model() -> None:
    w = walk([], [step(t(0), "a", "ie", 60), step(t(1), "b", "ie", 50)], RULES, EMAIL)
    assert _stages(w.history) == [("lead", "new"), ("mql", "score_threshold")]
    assert (w.history[-1].trigger, w.history[-1].model) == ("b", "default")


def test_points_earned_a_half_life_ago_count_half() -> None:
    """60 points 30 days (the half-life) before 50 more: 30 + 50 < 100, no mql."""
    w = walk([], [step(t(0), "a", "ie", 60), step(t(days=30), "b", "ie", 50)], RULES, EMAIL)
    assert w.stage == "lead"


def test_the_fit_the_lead_had_at_the_step_counts_toward_the_threshold() -> None:
    """The same decayed 80 points plus 20 fit reach the threshold of 100."""
    steps = [step(t(0), "a", "ie", 60), step(t(days=30), "b", "ie", 50, fit=20)]
    w = walk([], steps, RULES, EMAIL)
    assert w.stage == "mql" and w.history[-1].trigger == "b"


def test_a_page_view_half_an_hour_after_the_last_is_a_return_visit() -> None:
    pages = [step(t(0), "p1", "ipe", 1), step(t(10), "p2", "ipe", 1)]
    assert walk([], pages, RULES, EMAIL).stage == "lead"
    w = walk([], [*pages, step(t(45), "p3", "ipe", 1)], RULES, EMAIL)
    assert _stages(w.history)[-1] == ("nurturing", "engaged")
    assert w.history[-1].trigger == "p3"


def test_a_second_lost_restarts_the_pause_and_is_no_new_entry_into_recycle() -> None:
    steps = [
        step(t(0), "new", "i"),
        step(t(days=1), "lost1", "ic", extra=["lost", None]),
        step(t(days=5), "lost2", "ic", extra=["lost", None]),
    ]
    w = walk([], steps, RULES, EMAIL)
    assert _stages(w.history) == [("lead", "new"), ("recycle", "crm:lost")]
    assert w.history[-1].trigger == "lost1"
    assert w.paused_until == t(days=5) + 90 * DAY
    assert w.lost


def test_a_paused_lead_returns_to_nurturing_only_after_the_pause() -> None:
    steps = [step(t(0), "new", "i"), step(t(days=1), "lost", "ic", extra=["lost", None])]
    during = walk([], [*steps, step(t(days=30), "p", "ipe", 1)], RULES, EMAIL)
    assert during.stage == "recycle"
    after = walk([], [*steps, step(t(days=92), "p", "ipe", 1)], RULES, EMAIL)
    assert _stages(after.history)[-1] == ("nurturing", "re_engaged")
    assert after.paused_until is None


def test_a_fast_pass_during_the_pause_goes_straight_to_mql() -> None:
    steps = [step(t(0), "new", "i"), step(t(days=1), "lost", "ic", extra=["lost", None])]
    w = walk([], [*steps, step(t(days=2), "demo", "if", 50)], RULES, EMAIL)
    assert _stages(w.history)[-1] == ("mql", "fast_pass")


def test_a_walk_from_a_recycled_prefix_keeps_its_pause() -> None:
    """A walk starting after a `lost` entry knows the lead is paused and was lost."""
    prefix = entries_of([["lead", t(0), "new", "e0"], ["recycle", t(days=1), "crm:lost", "e1"]])
    w = walk(prefix, [step(t(days=10), "p", "ipe", 1)], RULES, EMAIL)
    assert w.stage == "recycle" and w.lost
    assert w.paused_until == t(days=1) + 90 * DAY
    assert w.history == prefix


def test_a_stale_step_recycles_only_the_stay_it_names() -> None:
    accepted = [step(t(0), "new", "i"), step(t(days=1), "ok", "ic", extra=["accepted", None])]
    named = ["sal", f"{t(days=1):.3f}"]
    w = walk([], [*accepted, step(t(days=15), "st", "s", extra=named)], RULES, EMAIL)
    assert _stages(w.history)[-1] == ("recycle", "sla:stale")
    other = ["sal", f"{t(days=2):.3f}"]
    w = walk([], [*accepted, step(t(days=15), "st", "s", extra=other)], RULES, EMAIL)
    assert w.stage == "sal"


def test_a_crm_outcome_placed_later_keeps_its_own_time() -> None:
    steps = [step(t(10), "new", "i"), step(t(10), "ok", "ic", extra=["accepted", t(0)])]
    entry = walk([], steps, RULES, EMAIL).history[-1]
    assert (entry.stage, entry.at, entry.reported) == ("sal", t(10), t(0))


@pytest.mark.parametrize(
    ("email", "stage"), [("cto@globex.example", "mql"), ("cto@initech.example", "nurturing")]
)
def test_a_webinar_attended_fast_passes_a_target_account_only(email: str, stage: str) -> None:
    steps = [step(t(0), "new", "i"), step(t(1), "web", "iewn", 25)]
    assert walk([], steps, RULES, email).stage == stage


def test_disqualifying_traits_end_a_marketing_lead() -> None:
    steps = [step(t(0), "new", "i"), step(t(1), "who", "id", extra="student")]
    assert _stages(walk([], steps, RULES, EMAIL).history)[-1] == (
        "dead_end",
        "disqualified:student",
    )


def test_a_lead_is_identified_from_the_first_step_naming_a_person_in_event_time() -> None:
    """Steps flagged `k` (the event named a person) identify from their own time on; an
    anonymous page viewed earlier stays a visitor's, whenever it was applied."""
    steps = [step(t(0), "p0", "pe", 1), step(t(2), "p2", "pe", 1), step(t(5), "hi", "k")]
    w = walk([], steps, RULES, EMAIL)
    assert [(e.stage, e.at) for e in w.history] == [("visitor", t(0)), ("lead", t(5))]
    after = walk([], [*steps, step(t(7), "p7", "pe", 1)], RULES, EMAIL)
    assert after.history == w.history and after.stage == "lead"


def test_a_step_stored_identified_by_an_older_version_still_identifies() -> None:
    w = walk([], [step(t(0), "p0", "pe", 1), step(t(2), "p2", "ipe", 1)], RULES, EMAIL)
    assert [(e.stage, e.at) for e in w.history] == [("visitor", t(0)), ("lead", t(2))]


def test_a_steps_fit_counts_only_once_the_lead_is_known_in_event_time() -> None:
    """An anonymous step records the fit the lead had when it applied: before the identify
    in event time it cannot cross the threshold; after it, it does."""
    rich = {"default": 200.0}
    early = walk(
        [], [step(t(0), "p0", "pe", 1)._replace(fit=rich), step(t(5), "hi", "k")], RULES, EMAIL
    )
    assert [e.stage for e in early.history] == ["visitor", "lead"]
    later = walk(
        [], [step(t(5), "hi", "k"), step(t(7), "p7", "pe", 1)._replace(fit=rich)], RULES, EMAIL
    )
    assert [(e.stage, e.at) for e in later.history] == [("lead", t(5)), ("mql", t(7))]
