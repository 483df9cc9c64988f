"""The trainer's view of the outcomes topic: the newest revision of each example id."""

from __future__ import annotations

import itertools

from scorer.core.conversion.examples import Example, Snapshot, canonical


def _example(
    lead: str, at: float, rev: int, *, retracted: bool = False, won: bool = True
) -> Example:
    return Example(
        example_id=f"{lead}|{at:.3f}",
        lead_id=lead,
        model="default",
        snapshot=Snapshot(at=at, stage="mql", features=[] if retracted else ["pages:<2"], score=0),
        outcome="retracted" if retracted else ("won" if won else "lost"),
        outcome_at=at + 10,
        label=int(won and not retracted),
        rev=rev,
        retracted=retracted,
    )


def test_the_newest_revision_wins_in_any_order() -> None:
    """ann's decision at 1 was published, then retracted when a merge moved it to 0 (and
    re-published at 0); bob's example was published twice, the second time changed. Every
    order of those messages (a retry republishing an older one late) gives the same view."""
    messages = [
        _example("ann", 1.0, 1),
        _example("ann", 1.0, 2, retracted=True),
        _example("ann", 0.0, 3),
        _example("bob", 5.0, 1, won=False),
        _example("bob", 5.0, 2),
    ]
    expected = [_example("ann", 0.0, 3), _example("bob", 5.0, 2)]
    for order in itertools.permutations(messages):
        assert canonical(list(order)) == expected


def test_the_same_example_twice_counts_once() -> None:
    """A rescore publishing the live run's example again adds nothing."""
    live = _example("cid", 2.0, 1)
    assert canonical([live, live]) == [live]
