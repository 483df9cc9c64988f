"""Offsets are committed up to the first alert still in flight."""

from __future__ import annotations

from router.offsets import OffsetTracker


def test_commit_point_stops_at_the_oldest_alert_in_flight() -> None:
    """Alerts finishing out of order commit only the contiguous done prefix."""
    tracker: OffsetTracker[int] = OffsetTracker()
    for offset in (10, 11, 12):
        tracker.started(0, offset)
    tracker.finished(0, 11)
    tracker.finished(0, 12)
    assert tracker.committable() == {0: 10}
    tracker.committed({0: 10})
    assert tracker.committable() == {}
    tracker.finished(0, 10)
    assert tracker.committable() == {0: 13}


def test_partitions_are_independent() -> None:
    """A stuck alert on one partition does not hold another partition's commits."""
    tracker: OffsetTracker[int] = OffsetTracker()
    tracker.started(0, 5)
    tracker.started(1, 7)
    tracker.finished(1, 7)
    assert tracker.committable() == {0: 5, 1: 8}
    assert tracker.in_flight() == 1


def test_forgetting_a_revoked_partition_drops_its_state() -> None:
    """After a revoke the partition has nothing to commit here any more."""
    tracker: OffsetTracker[int] = OffsetTracker()
    tracker.started(2, 1)
    tracker.forget(2)
    assert tracker.committable() == {}
