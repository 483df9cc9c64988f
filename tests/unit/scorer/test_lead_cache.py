"""The in-memory lead cache: trusted only at the offset it was kept at, and bounded."""

from __future__ import annotations

from scorer.core.state import LeadState
from scorer.runtime.lead_cache import LeadCache


def _leads(*ids: str) -> dict[str, LeadState | None]:
    return {i: LeadState(lead_id=i, created=0.0) for i in ids}


def test_states_come_back_only_at_the_offset_they_were_kept_at() -> None:
    """A different stored offset means someone else wrote: nothing is returned."""
    cache = LeadCache()
    cache.keep(0, 41, {}, _leads("ld_a"))
    assert cache.take(0, 42) == {}
    assert cache.take(0, 41) == {}  # the mismatch dropped the entry
    cache.keep(0, 41, {}, _leads("ld_a"))
    assert list(cache.take(0, 41)) == ["ld_a"]


def test_a_lead_removed_in_the_batch_leaves_the_cache() -> None:
    """A lead merged away or forgotten (None) is not kept."""
    cache = LeadCache()
    cache.keep(1, 5, {}, _leads("ld_a", "ld_b"))
    kept = cache.take(1, 5)
    cache.keep(1, 6, kept, {"ld_a": None})
    assert list(cache.take(1, 6)) == ["ld_b"]


def test_the_least_recently_used_leads_go_first_beyond_the_bound() -> None:
    """With room for 3, touching ld_a keeps it; the oldest others are evicted."""
    cache = LeadCache(max_leads=3)
    cache.keep(0, 1, {}, _leads("ld_a", "ld_b", "ld_c"))
    states = cache.take(0, 1)
    cache.keep(0, 2, states, {**_leads("ld_d"), "ld_a": states["ld_a"]})
    assert len(cache) == 3
    assert sorted(cache.take(0, 2)) == ["ld_a", "ld_c", "ld_d"]
