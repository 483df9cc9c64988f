"""Lead states kept in memory between batches, per partition, while this consumer owns it.

Loading a lead (GET, then parsing its JSON) cost about as much as applying an event to it.
An entry is trusted only while Valkey's stored offset for its partition is the offset this
consumer stored last: every write to a partition's leads goes through apply.lua, which
moves that offset, so anything else (another consumer after a rebalance, a restored
Valkey that lost its last writes) shows as a different offset and the entry is dropped.

A batch takes its partitions' entries out before it mutates the states and gives them back
only once its writes are in Valkey: a failed or conflicting write leaves nothing cached.
"""

from __future__ import annotations

from scorer.core.state import LeadState

__all__ = ["LeadCache"]


class LeadCache:
    def __init__(self, max_leads: int = 20_000) -> None:
        self._max = max_leads
        # partition -> (stored offset the states are current at, lead id -> state)
        self._parts: dict[int, tuple[int, dict[str, LeadState]]] = {}

    def __len__(self) -> int:
        return sum(len(leads) for _, leads in self._parts.values())

    def take(self, partition: int, stored_offset: int) -> dict[str, LeadState]:
        """The partition's states if current at `stored_offset`; the entry leaves the cache."""
        entry = self._parts.pop(partition, None)
        if entry is None or entry[0] != stored_offset:
            return {}
        return entry[1]

    def keep(
        self,
        partition: int,
        stored_offset: int,
        leads: dict[str, LeadState],
        touched: dict[str, LeadState | None],
    ) -> None:
        """Give the partition's states back, current at `stored_offset` (now in Valkey)."""
        for lead_id, state in touched.items():
            leads.pop(lead_id, None)
            if state is not None:
                leads[lead_id] = state  # re-inserted: the dict's order is least recent first
        self._parts[partition] = (stored_offset, leads)
        excess = len(self) - self._max
        for _, states in [(stored_offset, leads), *self._parts.values()]:
            if excess <= 0:
                break
            for oldest in list(states)[:excess]:
                del states[oldest]
                excess -= 1

    def drop(self, partitions: list[int] | None = None) -> None:
        if partitions is None:
            self._parts.clear()
        for partition in partitions or []:
            self._parts.pop(partition, None)
