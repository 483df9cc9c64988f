"""The one place that turns a handler's decision (`scorer.core.effects.Effects`) into writes.

`apply_effects` records each effect in the run's `WriteSet` and updates the partition's view
the same way, so the batch's later messages see it. Applied in the order decided, so the
WriteSet (and the apply.lua arguments) are what writing them in place gave.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from scorer.core.effects import (
    ClearSlaTimer,
    CountEntry,
    CountExit,
    CountHistory,
    DropForward,
    DropIdentity,
    Effects,
    EndLostDeal,
    FireGroup,
    Forward,
    KeepGroup,
    KeepLead,
    KeepLostDeal,
    LeaveAccount,
    MapIdentity,
    MoveOffset,
    MoveWatermark,
    Publish,
    PushActivity,
    RecordAccount,
    RemoveLead,
    SaveLead,
    Seen,
    SetSlaTimer,
    StoreWatermark,
    Suppress,
    UnwatchDecision,
    WatchDecision,
)
from scorer.storage.funnel import count_history, record_entry, record_exit
from scorer.storage.keys import suppression_digest
from scorer.storage.lead_writes import remove_lead, save_lead
from scorer.storage.view import (
    RECENT_MAX,
    PartitionView,
    queue_outbound,
)
from scorer.storage.writes import WriteSet

__all__ = ["WRITERS", "apply_effects"]


def apply_effects(effects: Effects, view: PartitionView, ws: WriteSet) -> None:
    """Write `effects` into the run's WriteSet and the partition's view, in order."""
    for effect in effects.items:
        WRITERS[type(effect)](effect, view, ws)


def _move_offset(e: MoveOffset, view: PartitionView, ws: WriteSet) -> None:
    ws.note(e.offset, e.message_id, dedupe=e.dedupe)
    if e.message_id and e.dedupe:
        view.seen.add(e.message_id)


def _keep_lead(e: KeepLead, view: PartitionView, ws: WriteSet) -> None:
    view.leads[e.state.lead_id] = e.state
    view.dirty[e.state.lead_id] = e.state


def _move_watermark(e: MoveWatermark, view: PartitionView, ws: WriteSet) -> None:
    view.watermark, view.horizon_next = e.at, e.next_deadline


def _save_lead(e: SaveLead, view: PartitionView, ws: WriteSet) -> None:
    save_lead(ws, view, e.state, e.summary)


def _publish(e: Publish, view: PartitionView, ws: WriteSet) -> None:
    queue_outbound(view, ws, e.message)


def _count_entry(e: CountEntry, view: PartitionView, ws: WriteSet) -> None:
    record_entry(ws, view.pk, e.t, e.stage, e.previous, e.source, e.campaign)


def _map_identity(e: MapIdentity, view: PartitionView, ws: WriteSet) -> None:
    view.identities[e.identity] = e.lead_id
    ws.hset(view.pk.identities, e.identity, e.lead_id)


def _count_history(e: CountHistory, view: PartitionView, ws: WriteSet) -> None:
    count_history(ws, view.pk, e.history, e.by)


def _push_activity(e: PushActivity, view: PartitionView, ws: WriteSet) -> None:
    ws.lpush(view.pk.recent, e.activity, RECENT_MAX)


def _keep_group(e: KeepGroup, view: PartitionView, ws: WriteSet) -> None:
    view.groups[e.account] = dict(e.group)
    ws.zadd(view.pk.buying_group(e.account), e.group[e.lead_id], e.lead_id)
    ws.zcut(view.pk.buying_group(e.account), e.since)


def _forward(e: Forward, view: PartitionView, ws: WriteSet) -> None:
    view.forwards[e.identity] = e.survivor
    ws.hset(view.pk.fwd, e.identity, e.survivor)


def _drop_identity(e: DropIdentity, view: PartitionView, ws: WriteSet) -> None:
    ws.hdel(view.pk.identities, e.identity)
    view.identities.pop(e.identity, None)


def _remove_lead(e: RemoveLead, view: PartitionView, ws: WriteSet) -> None:
    remove_lead(ws, view, e.state)


def _watch_decision(e: WatchDecision, view: PartitionView, ws: WriteSet) -> None:
    if view.horizons.get(e.member) != e.deadline:
        view.horizons[e.member] = e.deadline
        view.horizon_next = min(view.horizon_next, e.deadline)
        ws.zadd(view.pk.horizon, e.deadline, e.member)


def _set_sla_timer(e: SetSlaTimer, view: PartitionView, ws: WriteSet) -> None:
    ws.zadd(view.pk.sla, e.deadline, e.member)


def _store_watermark(e: StoreWatermark, view: PartitionView, ws: WriteSet) -> None:
    ws.set(view.pk.watermark, repr(e.at))


def _clear_sla_timer(e: ClearSlaTimer, view: PartitionView, ws: WriteSet) -> None:
    ws.zrem(view.pk.sla, e.member)


def _unwatch_decision(e: UnwatchDecision, view: PartitionView, ws: WriteSet) -> None:
    view.horizons.pop(e.member, None)
    ws.zrem(view.pk.horizon, e.member)


def _leave_account(e: LeaveAccount, view: PartitionView, ws: WriteSet) -> None:
    ws.hdel(view.pk.account(e.account), e.lead_id)
    left = view.leads.get(e.lead_id)
    if left is not None and left.member_of == e.account:
        left.member_of = None  # back under it, the lead is written there again


def _seen(e: Seen, view: PartitionView, ws: WriteSet) -> None:
    view.seen.add(e.message_id)
    ws.remember(e.offset, e.message_id)


def _drop_forward(e: DropForward, view: PartitionView, ws: WriteSet) -> None:
    ws.hdel(view.pk.fwd, e.identity)
    view.forwards.pop(e.identity, None)


def _count_exit(e: CountExit, view: PartitionView, ws: WriteSet) -> None:
    record_exit(ws, view.pk, e.t, e.stage)


def _suppress(e: Suppress, view: PartitionView, ws: WriteSet) -> None:
    digest = suppression_digest(e.identity)
    view.suppress.append(digest)
    view.suppressed.add(digest)


def _record_account(e: RecordAccount, view: PartitionView, ws: WriteSet) -> None:
    for name in e.names:
        ws.hset(view.pk.accounts, name, e.record)
        ws.zadd(view.pk.account_changes, e.changed, name)


def _keep_lost_deal(e: KeepLostDeal, view: PartitionView, ws: WriteSet) -> None:
    view.lost_records[e.account] = dict(e.record)
    ws.hset(view.pk.lost_accounts, e.account, orjson.dumps(dict(e.record)))


def _end_lost_deal(e: EndLostDeal, view: PartitionView, ws: WriteSet) -> None:
    view.lost_records[e.account] = None
    ws.hdel(view.pk.lost_accounts, e.account)


def _fire_group(e: FireGroup, view: PartitionView, ws: WriteSet) -> None:
    view.group_fired[e.account] = e.at
    ws.set(view.pk.buying_group_fired(e.account), repr(e.at))


# Each kind of effect, and what writes it: looked up by type, once per effect (a chain of
# class patterns tried in turn cost the scorer more than the writes of the common effects).
WRITERS: dict[type, Callable[[Any, PartitionView, WriteSet], None]] = {
    MoveOffset: _move_offset,
    KeepLead: _keep_lead,
    MoveWatermark: _move_watermark,
    SaveLead: _save_lead,
    Publish: _publish,
    CountEntry: _count_entry,
    MapIdentity: _map_identity,
    CountHistory: _count_history,
    PushActivity: _push_activity,
    KeepGroup: _keep_group,
    Forward: _forward,
    DropIdentity: _drop_identity,
    RemoveLead: _remove_lead,
    WatchDecision: _watch_decision,
    SetSlaTimer: _set_sla_timer,
    StoreWatermark: _store_watermark,
    ClearSlaTimer: _clear_sla_timer,
    UnwatchDecision: _unwatch_decision,
    LeaveAccount: _leave_account,
    Seen: _seen,
    DropForward: _drop_forward,
    CountExit: _count_exit,
    Suppress: _suppress,
    RecordAccount: _record_account,
    KeepLostDeal: _keep_lost_deal,
    EndLostDeal: _end_lost_deal,
    FireGroup: _fire_group,
}
