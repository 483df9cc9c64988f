"""Exponential score decay on event time, order-independent.

A rule's contribution is kept as its value at the lead's *anchor* time:
`v = sum(points_i * 2 ** ((t_i - anchor) / half_life))`. Its value at any time `t` is
`v * 2 ** ((anchor - t) / half_life)`. Sums commute, so events applied in any order (or any
batch size) give the same score, and the read path decays to "now" without touching state.
The anchor is the lead's first event time; it moves forward (`rebase`) only when exponents
would grow past what a float holds comfortably.
"""

from __future__ import annotations

__all__ = ["DAY", "MAX_EXPONENT", "at_anchor", "rebase_factor", "value_at"]

DAY = 86_400.0
MAX_EXPONENT = 400.0


def _exponent(t: float, anchor: float, half_life_days: float) -> float:
    return (t - anchor) / (half_life_days * DAY)


def at_anchor(points: float, t: float, anchor: float, half_life_days: float) -> float:
    """`points` earned at time `t`, expressed as a value at `anchor`."""
    return float(points * 2.0 ** _exponent(t, anchor, half_life_days))


def value_at(stored: float, anchor: float, t: float, half_life_days: float) -> float:
    """A value stored at `anchor`, decayed (or grown, for t < anchor) to time `t`."""
    return float(stored * 2.0 ** -_exponent(t, anchor, half_life_days))


def rebase_factor(old_anchor: float, new_anchor: float, half_life_days: float) -> float:
    """Multiply stored values by this to move them from `old_anchor` to `new_anchor`."""
    return float(2.0 ** -_exponent(new_anchor, old_anchor, half_life_days))
