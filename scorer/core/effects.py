"""What a handler can decide, as values: one frozen record per kind of effect, `Effects` (a
decision: its records in order) and `EffectLog` (a decision being made in several places).

`scorer.storage.effects.apply_effects` is the one place that turns them into writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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
    "PushScore",
    "PushTimeline",
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


@dataclass(frozen=True, slots=True)
class Outbound:
    """A message the scorer owes Kafka; kept in the partition's outbox until published."""

    msg_id: str
    topic: str  # "events", "alerts" or "lead_changes"
    key: str
    value: bytes


@dataclass(frozen=True, slots=True)
class Forward:
    """Events keyed `identity` go to `survivor` from now on."""

    identity: str
    survivor: str


@dataclass(frozen=True, slots=True)
class DropForward:
    identity: str


@dataclass(frozen=True, slots=True)
class MapIdentity:
    """`identity` names the lead `lead_id` of this partition from now on."""

    identity: str
    lead_id: str


@dataclass(frozen=True, slots=True)
class DropIdentity:
    """`identity` no longer names a lead of this partition."""

    identity: str


@dataclass(frozen=True, slots=True)
class RemoveLead:
    """Every key and entry this partition keeps for the lead goes."""

    state: LeadState


@dataclass(frozen=True, slots=True)
class CountExit:
    """A lead left `stage` at `t` (merged away, forgotten): the funnel's balance drops."""

    t: float
    stage: str


@dataclass(frozen=True, slots=True)
class Suppress:
    """Events of `identity` are dropped from now on (a forgotten person)."""

    identity: str


@dataclass(frozen=True, slots=True)
class Publish:
    """A message the partition owes Kafka, kept in its outbox until published."""

    message: Outbound


@dataclass(frozen=True, slots=True)
class RecordAccount:
    """An account as a `group` call described it, under each of its names (id, domain)."""

    names: tuple[str, ...]
    record: bytes
    changed: float  # wall-clock: the tick reads changes since its last read


@dataclass(frozen=True, slots=True)
class KeepLostDeal:
    """An account's lost deal, its losers and the visits since."""

    account: str
    record: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class EndLostDeal:
    """The account came back after its lost deal: nothing more to watch."""

    account: str


@dataclass(frozen=True, slots=True)
class KeepGroup:
    """An account's engaged people (lead -> last engaged) after `lead_id` engaged (those
    engaged before `since` left)."""

    account: str
    group: Mapping[str, float]
    lead_id: str
    since: float


@dataclass(frozen=True, slots=True)
class FireGroup:
    """The account's buying group alert fired at `at`."""

    account: str
    at: float


@dataclass(frozen=True, slots=True)
class CountEntry:
    """A lead moved from `previous` (None: a new lead entering the funnel) into `stage` at
    `t`, by the moving event's campaign."""

    t: float
    stage: str
    previous: str | None
    source: str | None
    campaign: str | None


@dataclass(frozen=True, slots=True)
class CountHistory:  # by 1: counted; by -1: taken back
    history: tuple[Entry, ...]
    by: int


@dataclass(frozen=True, slots=True)
class PushTimeline:
    """An entry on the lead's timeline (the newest `keep` are kept)."""

    lead_id: str
    entry: bytes
    keep: int


@dataclass(frozen=True, slots=True)
class PushScore:  # [t, score] on the lead's score history
    lead_id: str
    point: bytes


@dataclass(frozen=True, slots=True)
class PushActivity:  # a stage move on the partition's recent-activity feed
    activity: bytes


@dataclass(frozen=True, slots=True)
class SetSlaTimer:  # the SLA timer of a stay (`member`)
    member: str
    deadline: float


@dataclass(frozen=True, slots=True)
class ClearSlaTimer:
    member: str


@dataclass(frozen=True, slots=True)
class WatchDecision:
    """A decision's horizon timer ends at `deadline` (the same again: no change)."""

    member: str
    deadline: float


@dataclass(frozen=True, slots=True)
class UnwatchDecision:
    member: str


@dataclass(frozen=True, slots=True)
class KeepLead:
    """The lead changed: it is saved once, at the end of its run (`SaveLead`)."""

    state: LeadState


@dataclass(frozen=True, slots=True)
class SaveLead:
    """The end of a run: the lead's state, listing and summary (index, account)."""

    state: LeadState
    summary: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class LeaveAccount:
    """The lead no longer belongs to `account`'s people."""

    account: str
    lead_id: str


@dataclass(frozen=True, slots=True)
class MoveWatermark:
    """The partition's event time is `at`; no decision's deadline is before `next_deadline`."""

    at: float
    next_deadline: float


@dataclass(frozen=True, slots=True)
class StoreWatermark:
    """Once per run: the watermark goes with the run's other writes."""

    at: float


@dataclass(frozen=True, slots=True)
class Seen:
    """Another id of the message at `offset`, for the dedupe set (a forwarded copy)."""

    offset: int
    message_id: str


@dataclass(frozen=True, slots=True)
class MoveOffset:
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
    | PushTimeline
    | PushScore
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


@dataclass(frozen=True, slots=True)
class Effects:
    """A handler's decision: its effects, in order. Empty: the message changes nothing."""

    items: tuple[Effect, ...] = ()

    def __add__(self, other: Effects) -> Effects:
        return Effects(self.items + other.items)


class EffectLog:
    """Effects decided so far by a handler that decides in several places (a stage walk),
    in order; append-only. `effects()` is the decision."""

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: list[Effect] = []

    def add(self, effect: Effect) -> None:
        self._items.append(effect)

    def extend(self, effects: Effects) -> None:
        self._items.extend(effects.items)

    def effects(self) -> Effects:
        return Effects(tuple(self._items))
