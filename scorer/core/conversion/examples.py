"""Training examples on `leadpulse.outcomes`: a decision snapshot joined with its outcome.

The snapshot describes the lead at its decision (entering `mql` by default) from what it
had done up to then (`features.features_of`), never after (no leakage). The example id is
the lead and the decision's time. A lead whose history is walked again (a merge, a late
event) publishes its examples again: a changed one under its id, with a higher revision,
and a retraction (`retracted`) for one its history no longer makes (`published.sync`).
The trainer keeps, per id, the newest revision (`canonical`), so a replay, a retry or a
rescore publishing the same examples again adds none.
"""

from __future__ import annotations

import msgspec

__all__ = [
    "NEGATIVE",
    "POSITIVE",
    "Example",
    "Snapshot",
    "canonical",
    "decode_example",
    "encode_example",
]

POSITIVE = frozenset({"won"})
NEGATIVE = frozenset({"lost", "disqualified", "not_now"})


class Snapshot(msgspec.Struct, frozen=True, kw_only=True):
    """The lead as it was when it entered the decision stage."""

    at: float
    stage: str
    features: list[str]
    score: float  # the rules score then: the baseline the report compares with


class Example(msgspec.Struct, frozen=True, kw_only=True):
    example_id: str
    lead_id: str
    model: str
    snapshot: Snapshot
    outcome: str
    outcome_at: float
    label: int  # 1: won within the horizon; 0: lost, disqualified, not now, or won too late
    # the lead's count of examples published when this one was: the newest of an id wins
    rev: int = 0
    # the lead no longer makes this example (its history was walked again): drop the id
    retracted: bool = False


_ENCODER = msgspec.json.Encoder(order="sorted")
_DECODER = msgspec.json.Decoder(Example)


def encode_example(example: Example) -> bytes:
    return _ENCODER.encode(example)


def decode_example(raw: bytes) -> Example:
    return _DECODER.decode(raw)


def _newest(example: Example) -> tuple[int, bool, float, str]:
    return (example.rev, example.retracted, example.outcome_at, example.outcome)


def canonical(examples: list[Example]) -> list[Example]:
    """One example per id (its newest revision; none if that retracts it), in (outcome
    time, id) order.

    Training reads this order, never arrival order: the same examples give the same model
    however partitions, retries or replays interleaved them."""
    latest: dict[str, Example] = {}
    for example in examples:
        held = latest.get(example.example_id)
        if held is None or _newest(example) > _newest(held):
            latest[example.example_id] = example
    kept = (e for e in latest.values() if not e.retracted)
    return sorted(kept, key=lambda e: (e.outcome_at, e.example_id))
