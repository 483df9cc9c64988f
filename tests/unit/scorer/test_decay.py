"""Decay on event time: half-life, order independence, rebasing."""

from __future__ import annotations

import itertools

import pytest

from scorer.core.decay import DAY, at_anchor, rebase_factor, value_at


def test_points_halve_after_one_half_life() -> None:
    """10 points earned now are worth 5 one half-life later."""
    stored = at_anchor(10, t=0, anchor=0, half_life_days=30)
    assert value_at(stored, 0, 30 * DAY, 30) == pytest.approx(5)


def test_sum_is_the_same_in_any_order() -> None:
    """Applying the same events in any order gives the same score."""
    events = [(5, 0.0), (10, 3 * DAY), (-2, 7 * DAY), (1, 40 * DAY)]
    results = set()
    for order in itertools.permutations(events):
        stored = sum(at_anchor(p, t, 0, 30) for p, t in order)
        results.add(round(value_at(stored, 0, 60 * DAY, 30), 9))
    assert len(results) == 1


def test_rebase_keeps_the_value() -> None:
    """Moving the anchor changes the stored number, never the score."""
    stored = at_anchor(7, t=10 * DAY, anchor=0, half_life_days=14)
    moved = stored * rebase_factor(0, 100 * DAY, 14)
    assert value_at(moved, 100 * DAY, 120 * DAY, 14) == pytest.approx(
        value_at(stored, 0, 120 * DAY, 14)
    )
