"""Owner assignment. Pure: the round-robin position comes in from the store.

The CRM owner when the alert has one; else the available owners of the lead's territory;
else every available owner. Among candidates, a weighted round robin: an owner of weight
2 gets two turns in a cycle. Unavailable owners are skipped without losing others' turns.
"""

from __future__ import annotations

from leadpulse.kernel.config.routing import Owner, RoutingConfig

__all__ = ["candidates", "pick_weighted"]


def candidates(routing: RoutingConfig, territory: str | None) -> tuple[list[Owner], str]:
    """The available owners of the territory, else all available ones; and the scope
    ("*" for all) whose round-robin position picks among them."""
    available = [owner for owner in routing.owners if owner.available]
    if territory is not None:
        local = [owner for owner in available if territory in owner.territories]
        if local:
            return local, territory
    return available, "*"


def pick_weighted(owners: list[Owner], position: int) -> str | None:
    """The owner at `position` (any integer, taken modulo the cycle) of the weighted cycle."""
    total = sum(owner.weight for owner in owners)
    if total == 0:
        return None
    slot = position % total
    for owner in owners:
        if slot < owner.weight:
            return owner.name
        slot -= owner.weight
    return None  # pragma: no cover - the loop always returns while total > 0
