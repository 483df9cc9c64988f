"""A partition's view while a batch applies: its state as read, updated as messages apply, and
the messages it owes Kafka (`Outbound`), kept in its outbox until published."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from scorer.core.effects import Outbound
from scorer.core.horizon import Horizons
from scorer.core.state import LeadState
from scorer.storage.keys import PartitionKeys
from scorer.storage.writes import WriteSet

__all__ = [
    "PartitionReads",
    "PartitionView",
    "outbound_of",
    "outbox_entry",
    "queue_outbound",
]

RECENT_MAX = 200


@dataclass(slots=True)
class PartitionView:
    """One partition's state as read at the start of a batch, updated as messages apply."""

    pk: PartitionKeys
    stored_offset: int
    seen: set[str] = field(default_factory=set)
    identities: dict[str, str] = field(default_factory=dict)
    forwards: dict[str, str] = field(default_factory=dict)
    leads: dict[str, LeadState | None] = field(default_factory=dict)
    # leads changed in the current run, written once at its end
    dirty: dict[str, LeadState] = field(default_factory=dict)
    # oldest first: the timeline entries an earlier version kept apart (read for claims)
    timelines: dict[str, list[bytes]] = field(default_factory=dict)
    groups: dict[str, dict[str, float]] = field(default_factory=dict)
    group_fired: dict[str, float | None] = field(default_factory=dict)
    suppressed: set[str] = field(default_factory=set)
    # accounts with a lost deal not yet back, as of the last tick: account -> lost at
    lost_accounts: Mapping[str, float] = field(default_factory=dict)
    # accounts described by `group` calls, by id and domain, as of the last tick
    accounts: Mapping[str, Any] = field(default_factory=dict)
    # this partition's lost-deal records of the accounts its messages name
    lost_records: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    outbound: list[Outbound] = field(default_factory=list)
    suppress: list[str] = field(default_factory=list)
    # the newest outside event time applied, and the open decisions' deadlines
    # (`scorer.core.horizon`)
    watermark: float = -math.inf
    horizons: dict[str, float] = field(default_factory=dict)
    horizon_next: float = math.inf  # at most the earliest of those deadlines


class PartitionReads(Horizons, Protocol):
    """What a handler may read of its partition's view, and nothing it could write: a
    handler's changes are `Effects`, which `storage.effects.apply_effects` applies to the
    `PartitionView` that satisfies this. (The leads themselves are the values a handler
    decides on and changes; `KeepLead` has them saved.) Time passing reads the part of it
    that `core.horizon.Horizons` names: the leads, the watermark and the timers."""

    @property
    def pk(self) -> PartitionKeys: ...
    @property
    def seen(self) -> Set[str]: ...
    @property
    def identities(self) -> Mapping[str, str]: ...
    @property
    def forwards(self) -> Mapping[str, str]: ...
    @property
    def timelines(self) -> Mapping[str, Sequence[bytes]]: ...
    @property
    def groups(self) -> Mapping[str, Mapping[str, float]]: ...
    @property
    def group_fired(self) -> Mapping[str, float | None]: ...
    @property
    def suppressed(self) -> Set[str]: ...
    @property
    def lost_accounts(self) -> Mapping[str, float]: ...
    @property
    def accounts(self) -> Mapping[str, Any]: ...
    @property
    def lost_records(self) -> Mapping[str, Mapping[str, Any] | None]: ...


def queue_outbound(view: PartitionView, ws: WriteSet, message: Outbound) -> None:
    ws.hset(view.pk.outbox, message.msg_id, outbox_entry(message))
    view.outbound.append(message)


def outbox_entry(message: Outbound) -> bytes:
    """How `message` waits in the partition's outbox hash (field: its id): `[topic, key]`
    as JSON, a newline (JSON escapes every newline inside it), then the value as it is."""
    return orjson.dumps([message.topic, message.key]) + b"\n" + message.value


def outbound_of(msg_id: str, entry: bytes | str) -> Outbound:
    """The message an outbox entry holds (also one stored as a JSON object, as before)."""
    raw = entry.encode() if isinstance(entry, str) else entry
    if raw.startswith(b"{"):
        data = orjson.loads(raw)
        return Outbound(msg_id, data["topic"], data["key"], data["value"].encode())
    head, _, value = raw.partition(b"\n")
    topic, key = orjson.loads(head)
    return Outbound(msg_id, topic, key, value)
