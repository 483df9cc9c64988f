"""The scorer's own messages: each kind's golden sample, the wire they share with older
scorers, and what a scorer does with a payload that is no message."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from leadpulse.kernel import messages
from leadpulse.kernel.messages import (
    KINDS,
    AccountLost,
    Claim,
    Forget,
    Merge,
    Snapshot,
    Stale,
    kind_name,
    message_of,
    payload,
)
from leadpulse.kernel.schema import EventEnvelope, Identity, decode, encode

# Written by the scorer as it was before the messages were typed: the wire stays the same.
GOLDEN = Path(__file__).parent.parent / "golden" / "messages"
SAMPLES = sorted(GOLDEN.glob("*.json"))
T = 1767603600.25


def test_every_kind_has_a_golden_sample() -> None:
    """Adding a kind without a sample of its bytes fails here."""
    assert sorted(kind_name(kind) for kind in KINDS) == [path.stem for path in SAMPLES]


@pytest.mark.parametrize("path", SAMPLES, ids=[path.stem for path in SAMPLES])
def test_golden_sample_decodes_to_its_kind_and_encodes_to_the_same_bytes(path: Path) -> None:
    raw = path.read_bytes()
    event = decode(EventEnvelope, raw)
    message = messages.decode(event)
    assert kind_name(type(message)) == path.stem
    # no field left behind
    assert orjson.loads(orjson.dumps(payload(message))) == orjson.loads(raw)["control"]
    again = messages.encode(message, event.event_id, event.identity, event.timestamp.timestamp())
    assert again == raw


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "claim",
            Claim(
                claimed="anon:b-17",
                survivor="email:dana@acme.example",
                survivor_lead="ld_5c1f0e2a9b7d3e4f6a81",
                survivor_stage="lead",
            ),
        ),
        ("forget", Forget(cascade=True)),
        (
            "account_lost",
            AccountLost(account="acme-co", lead_id="ld_5c1f0e2a9b7d3e4f6a81", at=T),
        ),
        (
            "stale",
            Stale(lead_id="ld_5c1f0e2a9b7d3e4f6a81", stage="mql", since="1767600000.250"),
        ),
    ],
)
def test_a_golden_sample_holds_the_record_it_names(name: str, expected: messages.Message) -> None:
    event = decode(EventEnvelope, (GOLDEN / f"{name}.json").read_bytes())
    assert messages.decode(event) == expected


def test_an_encoded_message_decodes_to_the_envelope_the_model_builds() -> None:
    """The scorer's direct JSON and the validated model carry the same message."""
    merge = Merge(
        survivor="email:a@b.example", snapshot=Snapshot(lead={"score": 1.5}, timeline=("x",))
    )
    built = EventEnvelope(
        event_id="merge:1",
        type="merge",
        source="scorer",
        identity=Identity.from_key("anon:a1"),
        timestamp=datetime.fromtimestamp(T, UTC),
        received_at=datetime.fromtimestamp(T, UTC),
        control=payload(merge),
    )
    direct = messages.encode(merge, "merge:1", Identity.from_key("anon:a1"), T)
    assert decode(EventEnvelope, direct) == decode(EventEnvelope, encode(built))
    assert decode(EventEnvelope, direct).key == "anon:a1"
    assert messages.decode(decode(EventEnvelope, direct)) == merge


def _envelope(type_: str, control: dict[str, object] | None) -> EventEnvelope:
    now = datetime.fromtimestamp(T, UTC)
    return EventEnvelope.model_validate(
        {
            "event_id": "m-1",
            "type": type_,
            "source": "api",
            "identity": {"email": "dana@acme.example"},
            "timestamp": now,
            "received_at": now,
            "control": control,
        }
    )


def test_the_apis_forget_is_a_forget_of_every_identity_it_names() -> None:
    """DELETE /v1/leads/{id} names the identities; a forget without them forgets its key's."""
    identities = ["email:dana@acme.example", "anon:b-17"]
    forget = messages.decode(_envelope("forget", {"identities": identities}))
    assert forget == Forget(identities=tuple(identities))
    assert messages.decode(_envelope("forget", None)) == Forget()


def test_fields_from_a_newer_scorer_are_ignored() -> None:
    """A newer scorer may add a field to a kind; an older one still reads the rest."""
    control = {"lost": True, "lead_id": "ld_1", "at": T, "account": "acme-co", "why": "budget"}
    assert messages.decode(_envelope("account", control)) == AccountLost(
        account="acme-co", lead_id="ld_1", at=T
    )


def test_an_account_message_is_the_kind_its_mark_says() -> None:
    """On the wire the account kinds share a type: `lost`, `visit`, `info`, else a touch."""
    base = {"account": "acme-co", "lead_id": "ld_1", "at": T}
    kinds = {
        "lost": {**base, "lost": True},
        "visit": {**base, "visit": True, "lead": {"lead_id": "ld_1"}},
        "info": {"account": "acme-co", "info": {}, "at": T},
        "touch": base,
    }
    found = {
        mark: kind_name(type(messages.decode(_envelope("account", c)))) for mark, c in kinds.items()
    }
    assert found == {
        "lost": "account_lost",
        "visit": "account_visit",
        "info": "account_info",
        "touch": "account_touch",
    }


@pytest.mark.parametrize(
    ("type_", "control"),
    [("claim", {"claimed": "anon:x"}), ("stale", {"lead_id": 7}), ("merge", None), ("track", {})],
    ids=["claim-without-survivor", "stale-with-a-number", "merge-without-payload", "behavior"],
)
def test_a_payload_that_is_no_message_is_refused(
    type_: str, control: dict[str, object] | None
) -> None:
    event = _envelope(type_, control)
    with pytest.raises(ValueError):
        messages.decode(event)
    assert message_of(event) is None
