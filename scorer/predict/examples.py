"""Training examples on `leadpulse.outcomes`: a decision snapshot joined with its outcome.

The snapshot describes the lead at its decision (entering `mql` by default) from what it
had done up to then (`features.features_of`), never after (no leakage). The example id is
the lead and the decision's time, so a replayed or re-walked outcome writes the same id and
the trainer keeps one example per id.
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


_ENCODER = msgspec.json.Encoder(order="sorted")
_DECODER = msgspec.json.Decoder(Example)


def encode_example(example: Example) -> bytes:
    return _ENCODER.encode(example)


def decode_example(raw: bytes) -> Example:
    return _DECODER.decode(raw)


def canonical(examples: list[Example]) -> list[Example]:
    """One example per id (the latest outcome wins), in (outcome time, id) order.

    Training reads this order, never arrival order: the same examples give the same model
    however partitions, retries or replays interleaved them."""
    latest: dict[str, Example] = {}
    for example in examples:
        held = latest.get(example.example_id)
        if held is None or (example.outcome_at, example.outcome) > (held.outcome_at, held.outcome):
            latest[example.example_id] = example
    return sorted(latest.values(), key=lambda e: (e.outcome_at, e.example_id))
