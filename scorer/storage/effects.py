"""The one place that turns a handler's decision (`scorer.core.effects.Effects`) into writes.

`apply_effects` records each effect in the run's `WriteSet` and updates the partition's view
the same way, so the batch's later messages see it. Applied in the order decided, so the
WriteSet (and the apply.lua arguments) are what writing them in place gave.
"""

from __future__ import annotations

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
    PushScore,
    PushTimeline,
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
    SCORE_HISTORY_MAX,
    PartitionView,
    push_timeline,
    queue_outbound,
)
from scorer.storage.writes import WriteSet

__all__ = ["apply_effects"]


def apply_effects(effects: Effects, view: PartitionView, ws: WriteSet) -> None:
    """Write `effects` into the run's WriteSet and the partition's view, in order."""
    pk = view.pk
    for effect in effects.items:
        match effect:  # by how often each comes (the bench's stream): cases are tried in order
            case MoveOffset(offset, message_id, dedupe):
                ws.note(offset, message_id, dedupe=dedupe)
                if message_id and dedupe:
                    view.seen.add(message_id)
            case PushTimeline(lead_id, entry, keep):
                push_timeline(view, ws, lead_id, entry, keep)
            case KeepLead(state):
                view.leads[state.lead_id] = state
                view.dirty[state.lead_id] = state
            case MoveWatermark(at, next_deadline):
                view.watermark, view.horizon_next = at, next_deadline
            case PushScore(lead_id, point):
                ws.lpush(pk.score_history(lead_id), point, SCORE_HISTORY_MAX)
            case SaveLead(state, summary):
                save_lead(ws, view, state, summary)
            case Publish(message):
                queue_outbound(view, ws, message)
            case CountEntry(t, stage, previous, source, campaign):
                record_entry(ws, pk, t, stage, previous, source, campaign)
            case MapIdentity(identity, lead_id):
                view.identities[identity] = lead_id
                ws.hset(pk.identities, identity, lead_id)
            case CountHistory(history, by):
                count_history(ws, pk, history, by)
            case PushActivity(activity):
                ws.lpush(pk.recent, activity, RECENT_MAX)
            case KeepGroup(account, group, lead_id, since):
                view.groups[account] = dict(group)
                ws.zadd(pk.buying_group(account), group[lead_id], lead_id)
                ws.zcut(pk.buying_group(account), since)
            case Forward(identity, survivor):
                view.forwards[identity] = survivor
                ws.hset(pk.fwd, identity, survivor)
            case DropIdentity(identity):
                ws.hdel(pk.identities, identity)
                view.identities.pop(identity, None)
            case RemoveLead(state):
                remove_lead(ws, view, state)
            case WatchDecision(member, deadline):
                if view.horizons.get(member) != deadline:
                    view.horizons[member] = deadline
                    view.horizon_next = min(view.horizon_next, deadline)
                    ws.zadd(pk.horizon, deadline, member)
            case SetSlaTimer(member, deadline):
                ws.zadd(pk.sla, deadline, member)
            case StoreWatermark(at):
                ws.set(pk.watermark, repr(at))
            case ClearSlaTimer(member):
                ws.zrem(pk.sla, member)
            case UnwatchDecision(member):
                view.horizons.pop(member, None)
                ws.zrem(pk.horizon, member)
            case LeaveAccount(account, lead_id):
                ws.hdel(pk.account(account), lead_id)
                left = view.leads.get(lead_id)
                if left is not None and left.member_of == account:
                    left.member_of = None  # back under it, the lead is written there again
            case Seen(offset, message_id):
                view.seen.add(message_id)
                ws.remember(offset, message_id)
            case DropForward(identity):
                ws.hdel(pk.fwd, identity)
                view.forwards.pop(identity, None)
            case CountExit(t, stage):
                record_exit(ws, pk, t, stage)
            case Suppress(identity):
                digest = suppression_digest(identity)
                view.suppress.append(digest)
                view.suppressed.add(digest)
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
            case FireGroup(account, at):
                view.group_fired[account] = at
                ws.set(pk.buying_group_fired(account), repr(at))
