"""Reading the list index from the top: exact rows, and key bounds that never lose a lead."""

from __future__ import annotations

import itertools

from scorer.core.save import stored_summary
from scorer.read.list_walk import ROUNDING, Cursor, Part, member_text, summary_row
from scorer.storage.keys import PartitionKeys
from scorer.storage.list_index import engagement_key
from tests.unit.scorer.effects import t

FIT = 15.0
HALF_LIFE = 30.0


def _summary(stored: float, anchor: float, **extra: object) -> bytes:
    row = {
        "lead_id": "ld_1",
        "stage": "mql",
        "fit": FIT,
        "e": [stored, anchor, HALF_LIFE],
        "stage_at": t(0),
        "last_seen": t(5),
        "created": t(0),
        "paused_until": None,
        **extra,
    }
    return stored_summary(row)


def _cursor() -> Cursor:
    pk = PartitionKeys(0)
    return Cursor(Part(pk), pk.listing_score("mql", FIT, HALF_LIFE), 0, 16, FIT, HALF_LIFE)


def test_a_row_shows_the_engagement_decayed_to_the_time_it_is_read() -> None:
    row = summary_row("ld_1", _summary(40.0, t(0)), t(days=30))
    assert (row["engagement"], row["score"]) == (20.0, 35.0)
    assert row["last_seen"] == "2026-03-02T09:05:00+00:00"
    assert row["nurture_paused_until"] is None and "paused_until" not in row
    assert row["p_convert"] is None


def test_a_row_keeps_a_prediction_it_was_written_with() -> None:
    assert summary_row("ld_1", _summary(1.0, t(0), p_convert=0.4), t(0))["p_convert"] == 0.4


STORED = [-37.5, -0.004, 0.001, 0.7, 12.345, 99.995, 4321.0, 1e9]
ANCHORS = [t(0), t(days=-400), t(days=2.5)]
NOWS = [t(0), t(days=1), t(days=45.123), t(days=900)]


def _cases() -> itertools.product[tuple[float, float, float]]:
    return itertools.product(STORED, ANCHORS, NOWS)


def test_the_score_a_lead_shows_lies_within_the_bounds_its_key_gives() -> None:
    """What lets the list read only the top of a set and still equal a full scan."""
    cur = _cursor()
    for stored, anchor, now in _cases():
        shown = summary_row("ld_1", _summary(stored, anchor), now)["score"]
        low, high = cur.shown_score(engagement_key(stored, anchor, HALF_LIFE), now)
        assert low <= shown <= high, (stored, anchor, now)


def test_no_lead_reaching_a_minimum_score_is_below_its_low_key_nor_one_missing_it_above() -> None:
    cur = _cursor()
    for (stored, anchor, now), minimum in itertools.product(_cases(), [-20.0, 15.0, 27.35, 500]):
        key = engagement_key(stored, anchor, HALF_LIFE)
        shown = summary_row("ld_1", _summary(stored, anchor), now)["score"]
        if shown >= minimum:
            assert key >= cur.score_key(minimum - ROUNDING, now, -1), (stored, anchor, now)
        if key >= cur.score_key(minimum + ROUNDING, now, 1):
            assert shown >= minimum, (stored, anchor, now)


def test_a_set_not_read_yet_could_hold_any_score_and_a_read_one_bounds_the_rest() -> None:
    cur = _cursor()
    assert cur.score_bound(t(0)) == float("inf")
    cur.items = [(engagement_key(50.0, t(0), HALF_LIFE), "ld_a")]
    assert 65.0 <= cur.score_bound(t(0)) < 65.1
    assert 40.0 <= cur.score_bound(t(days=30)) < 40.1


def test_a_member_reads_as_text_from_bytes_or_text() -> None:
    assert member_text(b"ld_1") == member_text("ld_1") == "ld_1"
