"""The leads list's order and filters, as a page shows them."""

from __future__ import annotations

from typing import Any

from scorer.read.list_page import ListQuery, sort_rows


def _row(lead_id: str, score: float, last_seen: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "lead_id": lead_id,
        "score": score,
        "last_seen": last_seen,
        "created": "2026-03-02T09:00:00+00:00",
        "stage": "mql",
        "consideration": None,
        **extra,
    }


def test_the_list_is_highest_first_and_equal_scores_by_lead_id() -> None:
    rows = [_row("ld_a", 10), _row("ld_c", 30), _row("ld_b", 30), _row("ld_d", -5)]
    sort_rows(rows, "score")
    assert [r["lead_id"] for r in rows] == ["ld_c", "ld_b", "ld_a", "ld_d"]


def test_recent_sorts_by_last_seen_with_never_seen_leads_last() -> None:
    rows = [
        _row("ld_a", 0, None),
        _row("ld_b", 0, "2026-03-02T09:00:00+00:00"),
        _row("ld_c", 0, "2026-03-03T09:00:00+00:00"),
    ]
    sort_rows(rows, "recent")
    assert [r["lead_id"] for r in rows] == ["ld_c", "ld_b", "ld_a"]


def test_a_query_keeps_the_rows_of_its_stage_consideration_and_minimum_score() -> None:
    query = ListQuery(stage="mql", consideration="late", min_score=20)
    assert query.keeps(_row("ld_a", 20, consideration="late"))
    assert not query.keeps(_row("ld_a", 19.99, consideration="late"))
    assert not query.keeps(_row("ld_a", 50, consideration="mid"))
    assert not query.keeps(_row("ld_a", 50, consideration="late", stage="sal"))
    assert not query.keeps(None)  # a lead gone since its index entry was read
    assert ListQuery().keeps(_row("ld_a", -100))


def test_a_page_ends_where_its_offset_and_limit_say() -> None:
    assert ListQuery(offset=50, limit=25).end == 75
