"""The dashboard's funnel picture and score plot, drawn from plain numbers."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from ingest.dashboard.charts import bottleneck, funnel_svg, line_svg

BOOK = [
    {"stage": "lead", "flow": 10_000, "balance": 2_000},
    {"stage": "nurturing", "flow": 7_000, "balance": 6_000},
    {"stage": "mql", "flow": 1_000, "balance": 100},
    {"stage": "dead_end", "flow": 1_000, "balance": 1_000},
]
BOOK_CONVERSIONS = [
    {"from": "lead", "to": "nurturing", "rate": 0.7},
    {"from": "lead", "to": "dead_end", "rate": 0.1},
    {"from": "recycle", "to": "nurturing", "rate": 0.25},
]


def test_funnel_shows_flow_and_balance_of_every_stage() -> None:
    """Each stage box carries its flow and balance, as the book's example has them."""
    svg = funnel_svg(BOOK, BOOK_CONVERSIONS)
    assert 'data-stage="nurturing" data-flow="7000" data-balance="6000"' in svg
    assert 'data-stage="dead_end" data-flow="1000" data-balance="1000"' in svg
    assert "flow 10,000 · balance 2,000" in svg


def test_funnel_puts_conversion_rates_on_the_arrows() -> None:
    """lead→nurturing 70%, lead→dead_end 10% and the recycle loop's rate are drawn."""
    svg = funnel_svg(BOOK, BOOK_CONVERSIONS)
    found = re.findall(r'data-from="(\w+)" data-to="(\w+)">([^<]*)<', svg)
    rates = {(low, high): label for low, high, label in found}
    assert rates[("lead", "nurturing")] == "70.0%"
    assert rates[("lead", "dead_end")] == "10.0%"
    assert rates[("recycle", "nurturing")] == "recycled 25.0%"
    assert rates[("mql", "sal")] == "n/a"


def test_bottleneck_is_where_balance_piles_up_against_flow() -> None:
    """Nurturing holds 6,000 of its 7,000: it is the bottleneck, and it is marked."""
    rows = {row["stage"]: row for row in BOOK}
    assert bottleneck(rows) == "nurturing"
    assert "bottleneck" in funnel_svg(BOOK, BOOK_CONVERSIONS)


def test_empty_funnel_has_no_bottleneck() -> None:
    """With no leads at all nothing is marked as a bottleneck."""
    assert bottleneck({}) is None
    assert "bottleneck" not in funnel_svg([], [])


def test_score_plot_draws_the_threshold() -> None:
    """The score plot shows the MQL threshold line and one point per history entry."""
    start = datetime(2026, 11, 1, tzinfo=UTC)
    points = [(start + timedelta(days=i), float(i * 30)) for i in range(5)]
    svg = line_svg(points, threshold=100)
    assert "MQL threshold 100" in svg
    assert svg.count("L") >= 4


def test_score_plot_without_history_says_so() -> None:
    """A lead with no score history gets a sentence, not an empty picture."""
    assert "No score history" in line_svg([])
