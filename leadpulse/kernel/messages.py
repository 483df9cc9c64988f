"""The scorer's own messages on the events topic: one frozen record per kind.

A scorer tells the scorer of another partition something (an identity claimed, a merged
lead's history, a person of an account engaged, ...) by writing an envelope to the events
topic, keyed to the partition that must act. The envelope's `type` names the message and
its `control` object holds the record's fields; `encode` writes one and `decode` reads it
back. The API's forget (`DELETE /v1/leads/{id}`) is a `Forget` too.

The wire is the one these messages always had (tests/golden/messages holds each kind, byte
for byte), so scorers on either side of an upgrade read each other's messages during a
rolling deploy. On that wire the four `account` messages share one `type`; a mark in the
payload tells them apart: `lost` or `visit` set, `info` an object, or else a touch.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, get_args

import msgspec
import orjson

from leadpulse.kernel.schema import SCHEMA_VERSION, EventEnvelope, EventType, Identity
from leadpulse.kernel.wire import Envelope

__all__ = [
    "KINDS",
    "MESSAGE_TYPES",
    "AccountInfo",
    "AccountLost",
    "AccountTouch",
    "AccountVisit",
    "Claim",
    "Forget",
    "Merge",
    "Message",
    "Snapshot",
    "Stale",
    "decode",
    "encode",
    "kind_name",
    "message_of",
    "payload",
]


class _Record(msgspec.Struct, frozen=True, kw_only=True, tag_field="kind"):
    # The envelope `type` this kind travels as; the tag (`kind`) names it in code and tests.
    event_type: ClassVar[EventType]


class Claim(_Record, tag="claim", frozen=True, kw_only=True):
    """To `claimed`'s partition: `claimed` belongs to `survivor`'s lead now; hand its lead
    over (a Merge) and forward its later events to `survivor`."""

    event_type: ClassVar[EventType] = "claim"
    claimed: str
    survivor: str
    survivor_lead: str
    survivor_stage: str


class Snapshot(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A merged-away lead: its state as the scorer stores a lead (`state`: opaque here,
    base64 in JSON). A merge from an earlier scorer carries it as JSON (`lead`), with the
    timeline entries that scorer kept apart."""

    lead: dict[str, Any] | None = None
    timeline: tuple[str, ...] = ()
    state: bytes | None = None

    def __post_init__(self) -> None:
        # Refused at decode, so a merge with nothing to merge is an unreadable message.
        if self.state is None and self.lead is None:
            raise ValueError("a snapshot carries the lead's state or, as JSON, the lead")


class Merge(_Record, tag="merge", frozen=True, kw_only=True):
    """To `survivor`'s partition: join this lead into the survivor's."""

    event_type: ClassVar[EventType] = "merge"
    survivor: str
    snapshot: Snapshot


class Forget(_Record, tag="forget", frozen=True, kw_only=True, omit_defaults=True):
    """Forget the person of the envelope's identity and of `identities`; `cascade` when it
    was sent on by another partition's forget (it is not sent on again)."""

    event_type: ClassVar[EventType] = "forget"
    cascade: bool = False
    identities: tuple[str, ...] = ()


class AccountTouch(_Record, tag="account_touch", frozen=True, kw_only=True, omit_defaults=True):
    """To the account's partition: a person of `account` engaged (buying group)."""

    event_type: ClassVar[EventType] = "account"
    account: str
    lead_id: str
    at: float
    lead: dict[str, Any] | None = None  # the alert's lead summary (`AlertLead` as JSON)


class AccountInfo(_Record, tag="account_info", frozen=True, kw_only=True):
    """To the account's partition: what the account told about itself (`group` traits)."""

    event_type: ClassVar[EventType] = "account"
    account: str
    info: dict[str, Any]
    at: float


class AccountLost(_Record, tag="account_lost", frozen=True, kw_only=True):
    """To the account's partition: this person's deal was lost."""

    event_type: ClassVar[EventType] = "account"
    account: str
    lost: bool = True  # the mark of this kind on the wire
    lead_id: str
    at: float


class AccountVisit(_Record, tag="account_visit", frozen=True, kw_only=True):
    """To the account's partition: a page view by a person of an account that lost a deal."""

    event_type: ClassVar[EventType] = "account"
    account: str
    visit: bool = True  # the mark of this kind on the wire
    lead_id: str
    at: float
    lead: dict[str, Any]  # the alert's lead summary (`AlertLead` as JSON)


class Stale(_Record, tag="stale", frozen=True, kw_only=True):
    """To the lead's partition: the sales SLA of the stay in `stage` from `since` ran out."""

    event_type: ClassVar[EventType] = "stale"
    lead_id: str
    stage: str
    since: str  # as the SLA timer holds it: seconds, three decimals


Message = Claim | Merge | Forget | AccountTouch | AccountInfo | AccountLost | AccountVisit | Stale
KINDS: tuple[type[Message], ...] = get_args(Message)
# The envelope types that carry a Message rather than a behavior.
MESSAGE_TYPES: frozenset[str] = frozenset(kind.event_type for kind in KINDS)
_BY_TYPE: dict[str, type[Message]] = {k.event_type: k for k in KINDS if k.event_type != "account"}


def kind_name(kind: type[Message]) -> str:
    """The tag of a kind: 'claim', 'account_lost', ..."""
    return str(kind.__struct_config__.tag)


def payload(message: Message) -> dict[str, Any]:
    """The envelope's `control` object for `message` (JSON data)."""
    data: dict[str, Any] = msgspec.to_builtins(message)
    del data["kind"]
    return data


def encode(message: Message, event_id: str, identity: Identity, t: float) -> bytes:
    """The events topic value for `message`, as a scorer writes it at time `t`.

    Written straight to JSON: the scorer sends one for a good share of the events it
    applies, and building and dumping the envelope model cost more than the rest of that
    work. It decodes to the envelope the model would hold (tested).
    """
    when = datetime.fromtimestamp(t, UTC)
    return orjson.dumps(
        {
            "schema_version": SCHEMA_VERSION,
            "event_id": event_id,
            "type": message.event_type,
            "source": "scorer",
            "identity": identity.model_dump(exclude_none=True),
            "timestamp": when,
            "received_at": when,
            "control": payload(message),
        }
    )


def _kind_of(event: EventEnvelope | Envelope, control: dict[str, Any]) -> type[Message]:
    """The kind the wire names: the envelope type; for `account`, the payload's mark, in
    the order scorers have always read them."""
    if event.type == "account":
        if control.get("lost"):
            return AccountLost
        if control.get("visit"):
            return AccountVisit
        if isinstance(control.get("info"), dict):
            return AccountInfo
        return AccountTouch
    kind = _BY_TYPE.get(event.type)
    if kind is None:
        raise ValueError(f"a {event.type} event carries no scorer message")
    return kind


def decode(event: EventEnvelope | Envelope) -> Message:
    """The message `event` carries; raises ValueError when it carries none or a bad one."""
    control = event.control or {}
    return msgspec.convert(control, _kind_of(event, control))


def message_of(event: EventEnvelope | Envelope) -> Message | None:
    """`decode`, or None for a behavior event or a payload that is no such message."""
    if event.type not in MESSAGE_TYPES:
        return None
    try:
        return decode(event)
    except ValueError:
        return None
