"""`core.timeline`: how each event is shown, kept on its step, and read back as the read API
lists it (beside the entries an earlier version kept apart)."""

from __future__ import annotations

import orjson

from scorer.core.facts import facts_of
from scorer.core.steps import STEPS_KEPT, Step, insert_step
from scorer.core.timeline import SCORE_POINTS_KEPT, entries, merged_steps, score_points, shown_of
from tests.unit.scorer.events import at, page, track


def _step(t: float, event_id: str, shown: list[object] | None) -> list[object]:
    return Step(t, event_id, "p", {}, shown=shown).raw()


def test_an_event_is_shown_as_the_timeline_showed_it_when_it_was_kept_apart() -> None:
    facts = facts_of(page("/demo/pricing", email="a@b.example", when=at(1)))
    steps = [_step(facts.t, facts.event_id, shown_of(facts, [("pricing_page", 10.0)]))]
    assert entries(steps) == [
        {
            "at": facts.t,
            "type": "page",
            "id": facts.event_id,
            "path": "/demo/pricing",
            "points": [["pricing_page", 10.0]],
        }
    ]


def test_what_an_event_does_not_have_is_left_out_of_its_step_and_its_entry() -> None:
    facts = facts_of(track("Webinar Attended", email="a@b.example", when=at(2)))
    assert shown_of(facts, []) == ["track", "Webinar Attended"]
    (entry,) = entries([_step(facts.t, facts.event_id, shown_of(facts, []))])
    assert entry == {
        "at": facts.t,
        "type": "track",
        "id": facts.event_id,
        "event": "Webinar Attended",
    }


def test_a_step_that_shows_nothing_is_not_on_the_timeline() -> None:
    """A timer's step (a stale stay) and a step stored before steps carried their event."""
    steps = [_step(1.0, "e1", ["page"]), Step(2.0, "stale", "s", {}).raw(), _step(3.0, "e3", None)]
    assert [e["id"] for e in entries(steps)] == ["e1"]


def test_the_newest_are_shown_first_up_to_keep() -> None:
    steps: list[list[object]] = []
    for n in (5, 1, 3, 2, 4):
        insert_step(steps, Step(float(n), f"e{n}", "p", {}, shown=["page"]))
    assert [e["id"] for e in entries(steps)] == ["e5", "e4", "e3", "e2", "e1"]
    assert [e["id"] for e in entries(steps, keep=2)] == ["e5", "e4"]


def test_entries_kept_apart_by_an_earlier_version_are_read_beside_the_steps() -> None:
    """A lead stored before this layout: its older events' entries in their own list; an
    event both show is listed once."""
    legacy = [
        orjson.dumps({"at": 2.0, "type": "page", "id": "e2", "path": "/old"}),
        orjson.dumps({"at": 1.0, "type": "page", "id": "e1", "path": "/older"}),
    ]
    steps = [_step(2.0, "e2", ["page", None, "/new"]), _step(3.0, "e3", ["page"])]
    shown = [(e["id"], e.get("path")) for e in entries(steps, legacy)]
    assert shown == [("e3", None), ("e2", "/new"), ("e1", "/older")]


def test_a_merge_gives_legacy_entries_to_the_steps_they_describe() -> None:
    steps = [Step(1.0, "e1", "pe", {"default": 1.0}).raw(), _step(2.0, "e2", ["page", None, "/b"])]
    legacy = [
        orjson.dumps({"at": 1.0, "type": "page", "id": "e1", "path": "/a"}),
        orjson.dumps({"at": 2.0, "type": "page", "id": "e2", "path": "/stale"}),
        orjson.dumps({"at": 0.5, "type": "page", "id": "gone", "path": "/x"}),
    ]
    joined = merged_steps(steps, legacy)
    assert Step.of(joined[0]) == Step(1.0, "e1", "pe", {"default": 1.0}, shown=["page", None, "/a"])
    assert joined[1] is steps[1]  # a step's own entry wins
    assert [e["id"] for e in entries(joined)] == ["e2", "e1"]


def test_a_full_lead_shows_as_many_events_as_it_keeps_steps() -> None:
    steps: list[list[object]] = []
    for n in range(STEPS_KEPT + 30):
        insert_step(steps, Step(float(n), f"e{n:04d}", "p", {}, shown=["page"]))
    shown = entries(steps)
    assert len(shown) == STEPS_KEPT and shown[0]["id"] == f"e{STEPS_KEPT + 29:04d}"


def test_the_score_history_is_the_points_the_steps_put_there_oldest_first() -> None:
    steps: list[list[object]] = []
    for n in (3, 1, 2):
        shown = ["page", None, None, None, None, [["page_view", 1.0]], [float(n), 10.0 * n]]
        insert_step(steps, Step(float(n), f"e{n}", "p", {}, shown=shown))
    insert_step(steps, Step(4.0, "e4", "p", {}, shown=["page"]))  # scored nothing
    assert score_points(steps) == [[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]]
    assert [e["id"] for e in entries(steps)] == ["e4", "e3", "e2", "e1"]
    assert "point" not in entries(steps)[1] and len(entries(steps)[1]) == 4


def test_the_score_history_keeps_its_newest_points_and_those_an_earlier_version_kept() -> None:
    legacy = [orjson.dumps([0.5, 1.0]), orjson.dumps([0.25, 0.5])]
    steps = [
        Step(float(n), f"e{n:03d}", "p", {}, shown=["page", *[None] * 5, [float(n), 1.0]]).raw()
        for n in range(1, SCORE_POINTS_KEPT + 1)
    ]
    assert score_points(steps[:2], legacy) == [[0.25, 0.5], [0.5, 1.0], [1.0, 1.0], [2.0, 1.0]]
    kept = score_points(steps, legacy)
    assert len(kept) == SCORE_POINTS_KEPT and kept[0] == [1.0, 1.0]


def test_a_merged_away_leads_score_points_stay_behind() -> None:
    """They scored another lead: the survivor's history goes on from its own."""
    shown = ["page", None, "/a", None, None, [["page_view", 1.0]], [1.0, 5.0]]
    (step,) = merged_steps([Step(1.0, "e1", "p", {}, shown=shown).raw()], [])
    assert score_points([step]) == []
    assert entries([step])[0]["path"] == "/a" and entries([step])[0]["points"] == [
        ["page_view", 1.0]
    ]
