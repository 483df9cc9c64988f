"""The list index's keys order leads as their decayed engagement and shown times do."""

from __future__ import annotations

import itertools
import math
import random
from datetime import UTC, datetime, timedelta

from scorer.core.decay import DAY, value_at
from scorer.storage.list_index import engagement_at, engagement_key, key_margin, key_of, micros

NOW = 1_780_000_000.0


def _leads(rng: random.Random, n: int) -> list[tuple[float, float]]:
    values = [0.0, 1e-300, -1e-300, 5e300, -5e300]
    values += [rng.choice([-1, 1]) * rng.uniform(0, 500) for _ in range(n)]
    return [(v, NOW - rng.uniform(0, 400) * DAY) for v in values]


def test_key_order_is_the_order_of_decayed_engagement_at_any_time() -> None:
    """Sorting by key sorts by engagement at every 'now', negatives and zero included."""
    rng = random.Random(3)
    leads = _leads(rng, 400)
    by_key = sorted(leads, key=lambda lead: engagement_key(lead[0], lead[1], 30.0))
    for now in (NOW - 500 * DAY, NOW, NOW + 90 * DAY, NOW + 3000 * DAY):
        decayed = [value_at(v, anchor, now, 30.0) for v, anchor in by_key]
        pairs = itertools.pairwise(decayed)
        assert all(a <= b + abs(b) * 1e-9 + 1e-300 for a, b in pairs)


def test_a_key_gives_back_the_engagement_within_its_margin() -> None:
    """engagement_at inverts the key, within the margin the reader adds to bound it."""
    rng = random.Random(5)
    for value, anchor in _leads(rng, 300):
        key = engagement_key(value, anchor, 14.0)
        exact = value_at(value, anchor, NOW, 14.0)
        low = engagement_at(key - key_margin(key), NOW, 14.0)
        high = engagement_at(key + key_margin(key), NOW, 14.0)
        assert low <= exact <= high
        assert key_of(exact, NOW, 14.0) == engagement_key(exact, NOW, 14.0)


def test_a_key_past_what_a_float_holds_bounds_as_infinity() -> None:
    """A far-future key decayed back to a distant past is unbounded, not an error."""
    key = engagement_key(1e300, NOW, 0.001)
    assert engagement_at(key, 0.0, 0.001) == math.inf
    assert engagement_at(-key, 0.0, 0.001) == -math.inf


def test_times_are_kept_to_the_microsecond_the_list_shows() -> None:
    """Times that show alike get one key (then the lead id decides), later ones a larger key."""
    t = 1_772_442_000.123456
    shown = datetime.fromtimestamp(t, UTC)
    assert micros(t) == micros(t + 1e-7) == round(shown.timestamp() * 1_000_000)
    times = sorted(random.Random(1).uniform(0, 2e9) for _ in range(500))
    keys = [micros(x) for x in times]
    assert keys == sorted(keys)
    shown_order = [datetime.fromtimestamp(x, UTC).isoformat() for x in times]
    assert shown_order == sorted(shown_order)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    rng = random.Random(2)
    edges = [n + h / 1e6 for n in (0, 1_772_442_000, -5) for h in (0.5, 1.5, 2.5, 999_999.5)]
    for x in edges + [rng.uniform(-1e9, 4e9) for _ in range(20_000)]:
        assert micros(x) == (datetime.fromtimestamp(x, UTC) - epoch) // timedelta(microseconds=1)
