"""bench/scorer.py's no-I/O pass applies the scorer's own messages, not only the events."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner

from bench.scorer_load import journeys
from bench.scorer_logic import logic_pass, partition_of, scorer_rules
from leadpulse.kernel.schema import encode


def test_every_identify_is_claimed_and_merged_on_its_keys_partitions() -> None:
    events = journeys(20, 6)
    records = [(e.key.encode(), encode(e)) for e in events]

    result = logic_pass(records, 6, scorer_rules())

    assert result.outcomes["applied"] == len(events)
    # Each journey identifies once, joining its browser to its email: one claim keyed to the
    # browser, one merge keyed to the email, both applied.
    assert result.controls["claim"] == 20
    assert result.controls["merge"] == 20
    assert result.messages == len(events) + sum(result.controls.values())


def test_keys_go_to_the_partition_the_producer_sends_them_to() -> None:
    partitions = list(range(6))
    for event in journeys(20, 6):
        key = event.key.encode()
        assert partition_of(key, 6) == DefaultPartitioner()(key, partitions, partitions)
