"""Owner assignment: territory owners first, weighted round robin, unavailable skipped."""

from __future__ import annotations

from collections import Counter

from leadpulse.kernel.config.routing import Owner, RoutingConfig
from router.owners import candidates, pick_weighted

ROUTING = RoutingConfig(
    owners=[
        Owner(name="ada", weight=2, territories=["emea"]),
        Owner(name="grace", weight=1, territories=["americas"]),
        Owner(name="linus", weight=1, territories=["emea"], available=False),
        Owner(name="alan", weight=1),
    ]
)


def test_weights_set_the_share_of_turns() -> None:
    """Over whole cycles an owner of weight 2 gets twice the alerts of weight 1."""
    pool, _ = candidates(ROUTING, None)
    turns = Counter(pick_weighted(pool, position) for position in range(40))
    assert turns == {"ada": 20, "grace": 10, "alan": 10}


def test_unavailable_owners_are_skipped() -> None:
    """An owner marked unavailable is never picked, even in its territory."""
    pool, scope = candidates(ROUTING, "emea")
    assert [owner.name for owner in pool] == ["ada"]
    assert scope == "emea"


def test_territory_without_available_owners_falls_back_to_everyone() -> None:
    """No available owner in the territory: the global round robin decides."""
    pool, scope = candidates(ROUTING, "apac")
    assert scope == "*"
    assert {owner.name for owner in pool} == {"ada", "grace", "alan"}


def test_no_owners_gives_none() -> None:
    """With no owners configured, an alert has no owner."""
    assert pick_weighted([], 3) is None
