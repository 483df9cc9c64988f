"""A message waiting in a partition's outbox reads back as it was queued, whatever it holds."""

from __future__ import annotations

import orjson

from scorer.core.effects import Outbound
from scorer.storage.view import outbound_of, outbox_entry


def test_a_queued_message_reads_back_byte_for_byte() -> None:
    value = orjson.dumps({"type": "mql", "note": 'a "quoted"\nline'}) + b"\n tail \xc3\xa9"
    message = Outbound("al_1", "alerts", 'acme.example\n"x"', value)
    entry = outbox_entry(message)
    assert outbound_of("al_1", entry) == message
    assert outbound_of("al_1", entry.decode()) == message
    # the value is stored as it is, not escaped into a JSON string
    assert entry.endswith(value)


def test_an_entry_stored_as_a_json_object_still_reads() -> None:
    """Outboxes written before the value was stored as it is."""
    value = orjson.dumps({"type": "claim"})
    old = orjson.dumps({"topic": "events", "key": "anon:a1", "value": value.decode()})
    assert outbound_of("c1", old) == Outbound("c1", "events", "anon:a1", value)
