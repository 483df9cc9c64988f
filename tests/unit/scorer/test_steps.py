"""A lead's steps kept in event-time order, and its stage entries as the read API shows them."""

from __future__ import annotations

from scorer.core.steps import STEPS_KEPT, Entry, Step, insert_step, stage_entry
from tests.unit.scorer.effects import step, t


def _ids(steps: list[list[object]]) -> list[object]:
    return [s[1] for s in steps]


def test_an_event_in_order_goes_last_and_a_late_one_into_its_place() -> None:
    """The caller decides in place only for a step that went last; a late one re-walks."""
    steps: list[list[object]] = []
    assert insert_step(steps, step(t(0), "a"))
    assert insert_step(steps, step(t(9), "c"))
    assert not insert_step(steps, step(t(5), "b"))
    assert _ids(steps) == ["a", "b", "c"]


def test_events_at_the_same_time_are_ordered_by_event_id_whatever_their_arrival() -> None:
    one: list[list[object]] = []
    other: list[list[object]] = []
    for s in (step(t(1), "x"), step(t(1), "b"), step(t(1), "m")):
        insert_step(one, s)
    for s in (step(t(1), "m"), step(t(1), "x"), step(t(1), "b")):
        insert_step(other, s)
    assert _ids(one) == _ids(other) == ["b", "m", "x"]


def test_a_lead_keeps_its_newest_steps() -> None:
    steps: list[list[object]] = []
    for n in range(STEPS_KEPT + 5):
        insert_step(steps, step(t(n), f"e{n:04d}"))
    assert len(steps) == STEPS_KEPT
    assert steps[0][1] == "e0005" and steps[-1][1] == f"e{STEPS_KEPT + 4:04d}"


def test_a_step_is_stored_without_its_trailing_nulls_and_reads_back_whole() -> None:
    """Most steps have no source, campaign, extra or profile: those fields are not written."""
    bare = Step(5.0, "e1", "pe", {"default": 1.0}, None, None, None)
    with_source = Step(5.0, "e2", "k", {}, {"default": 2.0}, "google")
    assert bare.raw() == [5.0, "e1", "pe", {"default": 1.0}]
    assert with_source.raw() == [5.0, "e2", "k", {}, {"default": 2.0}, "google"]
    assert Step.of(bare.raw()) == bare and Step.of(with_source.raw()) == with_source
    # as older versions stored them, every field written out
    assert Step.of([5.0, "e1", "pe", {"default": 1.0}, None, None, None, None]) == bare


def test_a_stage_entry_shows_iso_times_and_when_a_crm_reported_it() -> None:
    plain = Entry("mql", t(5), "fast_pass", "demo").raw()
    assert stage_entry(plain) == {
        "stage": "mql",
        "at": "2026-03-02T09:05:00+00:00",
        "reason": "fast_pass",
    }
    placed = Entry("sal", t(5), "crm:accepted", "ok", reported=t(0)).raw()
    assert stage_entry(placed)["reported_at"] == "2026-03-02T09:00:00+00:00"


def test_an_entry_stored_before_more_fields_were_kept_still_reads() -> None:
    """Histories stored with fewer fields load with the rest empty."""
    e = Entry.of(["lead", t(0), "new", "e0"])
    assert (e.stage, e.reason, e.reported) == ("lead", "new", None)
