"""What can be decided, as values: one frozen record per kind of effect, `Effects` (a
decision: its records in order) and `EffectLog` (a decision being made in several places).

`scorer.storage.effects.apply_effects` is the one place that turns them into writes. The
records are frozen msgspec Structs rather than dataclasses: a handful are made per event, and
a frozen dataclass sets each field through `object.__setattr__`, which cost the scorer
about 23 k instructions per event (856 k -> 833 k, callgrind).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from scorer.core.state import LeadState
from scorer.core.steps import Entry

__all__ = [
    "ClearSlaTimer",
    "CountEntry",
    "CountExit",
    "CountHistory",
    "DropForward",
    "DropIdentity",
    "Effect",
    "EffectLog",
    "Effects",
    "EndLostDeal",
    "FireGroup",
    "Forward",
    "KeepGroup",
    "KeepLead",
    "KeepLostDeal",
    "LeaveAccount",
    "MapIdentity",
    "MoveOffset",
    "MoveWatermark",
    "Outbound",
    "Publish",
    "PushActivity",
    "RecordAccount",
    "RemoveLead",
    "SaveLead",
    "Seen",
    "SetSlaTimer",
    "StoreWatermark",
    "Suppress",
    "UnwatchDecision",
    "WatchDecision",
]


class Outbound(msgspec.Struct, frozen=True):
    """A message the scorer owes Kafka; kept in the partition's outbox until published."""

    msg_id: str
    topic: str  # "events", "alerts" or "lead_changes"
    key: str
    value: bytes


class Forward(msgspec.Struct, frozen=True):
    """Events keyed `identity` go to `survivor` from now on."""

    identity: str
    survivor: str


class DropForward(msgspec.Struct, frozen=True):
    identity: str


class MapIdentity(msgspec.Struct, frozen=True):
    """`identity` names the lead `lead_id` of this partition from now on."""

    identity: str
    lead_id: str


class DropIdentity(msgspec.Struct, frozen=True):
    """`identity` no longer names a lead of this partition."""

    identity: str


class RemoveLead(msgspec.Struct, frozen=True):
    """Every key and entry this partition keeps for the lead goes."""

    state: LeadState


class CountExit(msgspec.Struct, frozen=True):
    """A lead left `stage` at `t` (merged away, forgotten): the funnel's balance drops."""

    t: float
    stage: str


class Suppress(msgspec.Struct, frozen=True):
    """Events of `identity` are dropped from now on (a forgotten person)."""

    identity: str


class Publish(msgspec.Struct, frozen=True):
    """A message the partition owes Kafka, kept in its outbox until published."""

    message: Outbound


class RecordAccount(msgspec.Struct, frozen=True):
    """An account as a `group` call described it, under each of its names (id, domain)."""

    names: tuple[str, ...]
    record: bytes
    changed: float  # wall-clock: the tick reads changes since its last read


class KeepLostDeal(msgspec.Struct, frozen=True):
    """An account's lost deal, its losers and the visits since."""

    account: str
    record: Mapping[str, Any]


class EndLostDeal(msgspec.Struct, frozen=True):
    """The account came back after its lost deal: nothing more to watch."""

    account: str


class KeepGroup(msgspec.Struct, frozen=True):
    """An account's engaged people (lead -> last engaged) after `lead_id` engaged (those
    engaged before `since` left)."""

    account: str
    group: Mapping[str, float]
    lead_id: str
    since: float


class FireGroup(msgspec.Struct, frozen=True):
    """The account's buying group alert fired at `at`."""

    account: str
    at: float


class CountEntry(msgspec.Struct, frozen=True):
    """A lead moved from `previous` (None: a new lead entering the funnel) into `stage` at
    `t`, by the moving event's campaign."""

    t: float
    stage: str
    previous: str | None
    source: str | None
    campaign: str | None


class CountHistory(msgspec.Struct, frozen=True):
    """A stage history's entries counted (`by` 1) or taken back (-1)."""

    history: tuple[Entry, ...]
    by: int


class PushActivity(msgspec.Struct, frozen=True):
    """A stage move on the partition's recent-activity feed."""

    activity: bytes


class SetSlaTimer(msgspec.Struct, frozen=True):
    """The SLA timer of a stay (`member`)."""

    member: str
    deadline: float


class ClearSlaTimer(msgspec.Struct, frozen=True):
    member: str


class WatchDecision(msgspec.Struct, frozen=True):
    """A decision's horizon timer ends at `deadline` (the same again: no change)."""

    member: str
    deadline: float


class UnwatchDecision(msgspec.Struct, frozen=True):
    member: str


class KeepLead(msgspec.Struct, frozen=True):
    """The lead changed: it is saved once, at the end of its run (`SaveLead`)."""

    state: LeadState


class SaveLead(msgspec.Struct, frozen=True):
    """The end of a run: the lead's state, listing and summary (index, account)."""

    state: LeadState
    summary: Mapping[str, Any]


class LeaveAccount(msgspec.Struct, frozen=True):
    """The lead no longer belongs to `account`'s people."""

    account: str
    lead_id: str


class MoveWatermark(msgspec.Struct, frozen=True):
    """The partition's event time is `at`; no decision's deadline is before `next_deadline`."""

    at: float
    next_deadline: float


class StoreWatermark(msgspec.Struct, frozen=True):
    """Once per run: the watermark goes with the run's other writes."""

    at: float


class Seen(msgspec.Struct, frozen=True):
    """Another id of the message at `offset`, for the dedupe set (a forwarded copy)."""

    offset: int
    message_id: str


class MoveOffset(msgspec.Struct, frozen=True):
    """The message at `offset` is applied: the stored offset moves to it. `message_id` goes
    in the dedupe set unless None (a duplicate or unreadable message) or `dedupe` is False
    (an event passed on unapplied: it is seen where its copy is applied)."""

    offset: int
    message_id: str | None
    dedupe: bool = True


Effect = (
    Forward
    | DropForward
    | MapIdentity
    | DropIdentity
    | RemoveLead
    | CountExit
    | Suppress
    | Publish
    | RecordAccount
    | KeepLostDeal
    | EndLostDeal
    | KeepGroup
    | FireGroup
    | CountEntry
    | CountHistory
    | PushActivity
    | SetSlaTimer
    | ClearSlaTimer
    | WatchDecision
    | UnwatchDecision
    | KeepLead
    | SaveLead
    | LeaveAccount
    | MoveWatermark
    | StoreWatermark
    | Seen
    | MoveOffset
)


class Effects(msgspec.Struct, frozen=True):
    """A decision: its effects, in order. Empty: the message changes nothing."""

    items: tuple[Effect, ...] = ()

    def __add__(self, other: Effects) -> Effects:
        return Effects(self.items + other.items)


class EffectLog:
    """Effects decided so far by a decision made in several places (a stage walk),
    in order; append-only. `effects()` is the decision."""

    __slots__ = ("_items", "add")

    def __init__(self) -> None:
        self._items: list[Effect] = []
        # `add(effect)`: the list's own append, a few are made per event (no frame of ours)
        self.add: Callable[[Effect], None] = self._items.append

    def extend(self, effects: Effects) -> None:
        self._items.extend(effects.items)

    def effects(self) -> Effects:
        return Effects(tuple(self._items))
