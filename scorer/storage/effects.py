"""What a handler decided, as a value: `Effects`, and the one place that applies it.

A handler reads the partition's view and returns `Effects`: an ordered tuple of records,
each a change to the partition's stored state or a message it owes Kafka. `apply_effects`
is the only code that turns them into writes: it records each in the run's `WriteSet`
and updates the view the same way, so the batch's later messages see it. Applied in the
order decided, so the WriteSet (and the apply.lua arguments) are what writing them in
place gave.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from scorer.core.state import LeadState
from scorer.storage.funnel import record_entry, record_exit
from scorer.storage.keys import suppression_digest
from scorer.storage.list_index import unlist_lead
from scorer.storage.view import Outbound, PartitionView, queue_outbound
from scorer.storage.writes import WriteSet

__all__ = [
    "CountExit",
    "CountNew",
    "DropForward",
    "DropIdentity",
    "Effect",
    "Effects",
    "EndLostDeal",
    "FireGroup",
    "Forward",
    "KeepGroup",
    "KeepLostDeal",
    "MapIdentity",
    "Publish",
    "RecordAccount",
    "RemoveLead",
    "Suppress",
    "apply_effects",
    "remove_lead",
]


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
class CountNew:
    """A new lead entered the funnel at `stage` at `t`, from its first touch's campaign."""

    t: float
    stage: str
    source: str | None
    campaign: str | None


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
    """An account's engaged people (lead -> last engaged) after `lead_id` engaged; those
    engaged before `since` have left it."""

    account: str
    group: Mapping[str, float]
    lead_id: str
    since: float


@dataclass(frozen=True, slots=True)
class FireGroup:
    """The account's buying group alert fired at `at`."""

    account: str
    at: float


Effect = (
    Forward
    | DropForward
    | MapIdentity
    | DropIdentity
    | RemoveLead
    | CountNew
    | CountExit
    | Suppress
    | Publish
    | RecordAccount
    | KeepLostDeal
    | EndLostDeal
    | KeepGroup
    | FireGroup
)


@dataclass(frozen=True, slots=True)
class Effects:
    """A handler's decision: its effects, in order. Empty: the message changes nothing."""

    items: tuple[Effect, ...] = ()

    def __add__(self, other: Effects) -> Effects:
        return Effects(self.items + other.items)


def apply_effects(effects: Effects, view: PartitionView, ws: WriteSet) -> None:
    """Write `effects` into the run's WriteSet and the partition's view, in order."""
    pk = view.pk
    for effect in effects.items:
        match effect:
            case Forward(identity, survivor):
                view.forwards[identity] = survivor
                ws.hset(pk.fwd, identity, survivor)
            case DropForward(identity):
                ws.hdel(pk.fwd, identity)
                view.forwards.pop(identity, None)
            case MapIdentity(identity, lead_id):
                view.identities[identity] = lead_id
                ws.hset(pk.identities, identity, lead_id)
            case DropIdentity(identity):
                ws.hdel(pk.identities, identity)
                view.identities.pop(identity, None)
            case RemoveLead(state):
                remove_lead(ws, view, state)
            case CountNew(t, stage, source, campaign):
                record_entry(ws, pk, t, stage, None, source, campaign)
            case CountExit(t, stage):
                record_exit(ws, pk, t, stage)
            case Suppress(identity):
                digest = suppression_digest(identity)
                view.suppress.append(digest)
                view.suppressed.add(digest)
            case Publish(message):
                queue_outbound(view, ws, message)
            case RecordAccount(names, record, changed):
                for name in names:
                    ws.hset(pk.accounts, name, record)
                    ws.zadd(pk.account_changes, changed, name)
            case KeepLostDeal(account, record):
                view.lost_records[account] = dict(record)
                ws.hset(pk.lost_accounts, account, orjson.dumps(dict(record)))
            case EndLostDeal(account):
                view.lost_records[account] = None
                ws.hdel(pk.lost_accounts, account)
            case KeepGroup(account, group, lead_id, since):
                view.groups[account] = dict(group)
                ws.zadd(pk.buying_group(account), group[lead_id], lead_id)
                ws.zcut(pk.buying_group(account), since)
            case FireGroup(account, at):
                view.group_fired[account] = at
                ws.set(pk.buying_group_fired(account), repr(at))


def remove_lead(ws: WriteSet, view: PartitionView, state: LeadState) -> None:
    """Delete every key and entry this partition keeps for the lead."""
    pk = view.pk
    view.leads[state.lead_id] = None
    view.dirty.pop(state.lead_id, None)
    view.timelines.pop(state.lead_id, None)
    view.added.pop(state.lead_id, None)
    ws.delete(pk.lead(state.lead_id))
    ws.delete(pk.timeline(state.lead_id))
    ws.delete(pk.score_history(state.lead_id))
    ws.hdel(pk.index, state.lead_id)
    unlist_lead(ws, pk, state)
    if state.account:
        ws.hdel(pk.account(state.account), state.lead_id)
    if state.sla_member:
        ws.zrem(pk.sla, state.sla_member)
    for key in state.keys:
        if view.identities.get(key) == state.lead_id:
            ws.hdel(pk.identities, key)
            view.identities.pop(key, None)
