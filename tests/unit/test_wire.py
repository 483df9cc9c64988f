"""The scorer's envelope (`wire.Envelope`, msgspec) reads the events topic as ingest's model
(`schema.EventEnvelope`, pydantic) does: the same values from the same JSON, the same JSON
refused, and what the scorer writes back (a forwarded event) read alike by both."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import orjson
import pydantic
import pytest

from leadpulse.kernel.schema import EventEnvelope, decode
from leadpulse.kernel.wire import Envelope, read_envelope, write_envelope

GOLDEN = Path(__file__).parent.parent / "golden"
SAMPLES = [GOLDEN / "event.json", *sorted((GOLDEN / "messages").glob("*.json"))]


def _as_ingest_reads(envelope: Envelope) -> dict[str, Any]:
    """The Struct's values in the pydantic model's JSON form, defaults filled in."""
    return decode(EventEnvelope, write_envelope(envelope)).model_dump(mode="json")


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_both_models_read_a_golden_sample_alike(sample: Path) -> None:
    raw = sample.read_bytes()
    ingest = decode(EventEnvelope, raw)
    scorer = read_envelope(raw)
    assert _as_ingest_reads(scorer) == ingest.model_dump(mode="json")
    assert scorer.identity.keys() == ingest.identity.keys()
    if ingest.identity.keys():  # an account message is keyed by its account, not a person
        assert scorer.key == ingest.key
    assert scorer.timestamp == ingest.timestamp and scorer.timestamp.tzinfo is not None
    assert scorer.flags.is_noise == ingest.flags.is_noise


def test_a_forwarded_event_reads_back_equal() -> None:
    """The scorer passes an event on with `write_envelope`: its survivor's partition reads
    the same event, and so would ingest's model."""
    raw = (GOLDEN / "event.json").read_bytes()
    scorer = read_envelope(raw)
    again = write_envelope(scorer)
    assert read_envelope(again) == scorer
    assert decode(EventEnvelope, again) == decode(EventEnvelope, raw)


def _event(**change: Any) -> bytes:
    data = orjson.loads((GOLDEN / "event.json").read_bytes())
    for name, value in change.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return orjson.dumps(data)


@pytest.mark.parametrize(
    ("change", "what"),
    [
        ({"event_id": ""}, "an empty event id"),
        ({"event_id": "e" * 201}, "an event id over 200 characters"),
        ({"group_id": "g" * 201}, "a group id over 200 characters"),
        ({"type": "teleport"}, "a type no producer sends"),
        ({"source": "fax"}, "an unknown source"),
        ({"identity": None}, "no identity"),
        ({"timestamp": "yesterday"}, "a time that is no time"),
        ({"received_at": None}, "no receive time"),
        ({"properties": ["a", "list"]}, "properties that are no object"),
        ({"flags": {"identity_trust": "sworn"}}, "an unknown trust"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_both_models_refuse_the_same_bad_envelope(change: dict[str, Any], what: str) -> None:
    raw = _event(**change)
    with pytest.raises(pydantic.ValidationError):
        decode(EventEnvelope, raw)
    with pytest.raises(msgspec.ValidationError):
        read_envelope(raw)


def test_both_models_take_a_number_in_a_string_and_ignore_unknown_fields() -> None:
    raw = _event(schema_version="1", shiny_new_field={"x": 1})
    ingest = decode(EventEnvelope, raw)
    scorer = read_envelope(raw)
    assert scorer.schema_version == ingest.schema_version == 1
    assert _as_ingest_reads(scorer) == ingest.model_dump(mode="json")


def test_not_json_is_refused() -> None:
    with pytest.raises(pydantic.ValidationError):
        decode(EventEnvelope, b"{not json")
    with pytest.raises(msgspec.DecodeError):
        read_envelope(b"{not json")
