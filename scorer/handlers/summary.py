"""A lead's compact summary for lists and accounts, written with every change of the lead.

The summary keeps the primary model's engagement as (value at anchor, anchor, half-life), so
the read path can decay it to "now" without loading the full state.
"""

from __future__ import annotations

from typing import Any

import orjson

from scorer.core.config import Rules
from scorer.core.content import lead_consideration, top_interests
from scorer.core.state import LeadState
from scorer.handlers.crm_changes import queue_lead_change
from scorer.predict.summary import predict_summary
from scorer.storage.list_index import list_lead
from scorer.storage.view import PartitionView
from scorer.storage.writes import WriteSet

__all__ = ["flush_leads", "summary_of", "write_lead"]


def summary_of(state: LeadState, rules: Rules) -> dict[str, Any]:
    model = rules.compiled.models[0]
    ms = state.models.get(model.name)
    stored = sum(entry[0] for entry in ms.engagement.values()) if ms else 0.0
    return {
        "lead_id": state.lead_id,
        "email": state.email,
        "stage": state.stage,
        "stage_at": state.stage_at,
        "account": state.account,
        "consideration": lead_consideration(state.consideration),
        "interests": top_interests(state.topics),
        "e": [stored, ms.anchor if ms else state.created, model.model.half_life_days],
        "fit": sum(ms.fit.values()) if ms else 0.0,
        "last_seen": state.last_seen,
        "created": state.created,
        "owner": state.owner,
        "paused_until": state.paused_until,
    }


def write_lead(ws: WriteSet, view: PartitionView, state: LeadState, rules: Rules) -> None:
    """The lead changed: it is written once, at the end of its run (`flush_leads`)."""
    view.leads[state.lead_id] = state
    view.dirty[state.lead_id] = state


def flush_leads(ws: WriteSet, view: PartitionView, rules: Rules) -> None:
    """Write every lead the run changed: state, and its summary in the index and account."""
    for state in view.dirty.values():
        fields = summary_of(state, rules)
        predict_summary(state, rules, fields)
        # After the prediction (the change carries it), before the state is dumped (it notes
        # what it sent there).
        queue_lead_change(ws, view, state, rules)
        list_lead(ws, view.pk, state, fields)  # before the state is dumped: it notes the stage
        ws.set(view.pk.lead(state.lead_id), state.dumps())
        summary = orjson.dumps(fields)
        ws.hset(view.pk.index, state.lead_id, summary)
        if state.account:
            ws.hset(view.pk.account(state.account), state.lead_id, summary)
    view.dirty.clear()
