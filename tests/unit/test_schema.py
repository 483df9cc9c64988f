"""The shared messages: golden samples round-trip, identity keys pick the strongest id."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from leadpulse.kernel.schema import (
    Alert,
    DeadLetter,
    EventEnvelope,
    Identity,
    decode,
    encode,
)

GOLDEN = Path(__file__).parent.parent / "golden"


@pytest.mark.parametrize(
    ("name", "model"),
    [("event.json", EventEnvelope), ("alert.json", Alert), ("dead_letter.json", DeadLetter)],
    ids=["event", "alert", "dead_letter"],
)
def test_golden_sample_round_trips(
    name: str, model: type[EventEnvelope | Alert | DeadLetter]
) -> None:
    """A golden sample decodes and encodes back to the same JSON."""
    raw = (GOLDEN / name).read_bytes()
    message = decode(model, raw)
    assert orjson.loads(encode(message)) == orjson.loads(raw)


@pytest.mark.parametrize(
    ("identity", "key"),
    [
        (Identity(anonymous_id="a1"), "anon:a1"),
        (Identity(anonymous_id="a1", email=" Ann@Example.COM "), "email:ann@example.com"),
        (Identity(anonymous_id="a1", email="x@y.z", user_id="u7"), "user:u7"),
        (Identity(crm_lead_id="c9", anonymous_id="a1"), "crm:c9"),
    ],
    ids=["anonymous", "email-beats-anonymous", "user-beats-all", "crm-beats-anonymous"],
)
def test_kafka_key_is_the_strongest_identity(identity: Identity, key: str) -> None:
    """The event's Kafka key is its strongest identity, emails lower-cased."""
    assert identity.key() == key


def test_identity_without_any_id_is_refused() -> None:
    """An identity with no id at all cannot be keyed."""
    with pytest.raises(ValueError, match="needs a user_id"):
        Identity().key()


def test_unknown_fields_from_a_newer_producer_are_ignored() -> None:
    """A consumer ignores fields a newer schema version added."""
    raw = orjson.loads((GOLDEN / "event.json").read_bytes())
    raw["schema_version"] = 2
    raw["field_from_the_future"] = {"x": 1}
    event = decode(EventEnvelope, orjson.dumps(raw))
    assert event.event_id == raw["event_id"]
