"""The leads list by p_convert: a scan of the partitions' summaries (no index of its own)."""

from __future__ import annotations

from typing import Any

from scorer.read.list_page import ListQuery, sort_rows

__all__ = ["by_p_convert"]


def by_p_convert(
    rows: list[dict[str, Any]], query: ListQuery, min_p: float | None, account: str | None
) -> tuple[list[dict[str, Any]], int]:
    """(the page, the total) of `rows` kept by `query` and `min_p`, sorted as `query` says;
    a lead without a prediction sorts last and never reaches a `min_p`."""
    wanted = account.lower() if account is not None else None
    kept = []
    for row in rows:
        p = row["p_convert"]
        if wanted is not None and row["account"] != wanted:
            continue
        if min_p is not None and (p is None or p < min_p):
            continue
        if query.keeps(row):
            kept.append(row)
    sort_rows(kept, query.sort)
    return kept[query.offset : query.end], len(kept)
