"""A lead's own keys: saved at the end of its run, or every key and entry of it removed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scorer.core.save import stored_summary
from scorer.core.state import LeadState
from scorer.core.state_layout import store_lead
from scorer.storage.list_index import list_lead, unlist_lead
from scorer.storage.view import PartitionView
from scorer.storage.writes import WriteSet

__all__ = ["ACCOUNT_MEMBER", "remove_lead", "save_lead"]

# An account's hash names its people; their summaries are in the partition's index.
ACCOUNT_MEMBER = "1"


def save_lead(
    ws: WriteSet, view: PartitionView, state: LeadState, summary: Mapping[str, Any]
) -> None:
    """Write the lead's listing and its membership of its account (before its state is
    dumped: it notes both), its state, and its summary in the index (written once: the
    account's readers take it from the index)."""
    pk = view.pk
    list_lead(ws, pk, state, summary)
    if state.account and state.member_of != state.account:
        ws.hset(pk.account(state.account), state.lead_id, ACCOUNT_MEMBER)
        state.member_of = state.account
    stored = store_lead(state)
    ws.set(pk.lead(state.lead_id), stored.state)
    if stored.past is not None:
        ws.set(pk.past(state.lead_id), stored.past)
    elif stored.drop_past:
        ws.delete(pk.past(state.lead_id))
    ws.hset(pk.index, state.lead_id, stored_summary(summary))
    view.dirty.pop(state.lead_id, None)


def remove_lead(ws: WriteSet, view: PartitionView, state: LeadState) -> None:
    """Delete every key and entry this partition keeps for the lead."""
    pk = view.pk
    view.leads[state.lead_id] = None
    view.dirty.pop(state.lead_id, None)
    view.timelines.pop(state.lead_id, None)
    ws.delete(pk.lead(state.lead_id))
    ws.delete(pk.past(state.lead_id))
    # the timeline and score history an earlier version kept apart
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
