"""A run's end decided: its watermark, and each lead it changed saved once (`run_end`).

A saved lead is written with its compact summary for lists and accounts, its prediction
(`conversion.summary`) and, when due, its change for the CRM (`crm_changes`).

The summary keeps the primary model's engagement as (value at anchor, anchor, half-life), so
the read path can decay it to "now" without loading the full state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from scorer.core.config import Rules
from scorer.core.content import lead_consideration, top_interests
from scorer.core.conversion.summary import predict_summary
from scorer.core.crm_changes import queue_lead_change
from scorer.core.effects import EffectLog, Effects, SaveLead
from scorer.core.horizon import store_watermark
from scorer.core.state import LeadState

__all__ = ["SUMMARY_ROW", "flush_leads", "run_end", "summary_of"]

# A summary's fields in the order the list shows them: a reader starts from this, so the
# fields `summary_of` leaves out while null read back as null (`read.list_walk`).
SUMMARY_ROW: Mapping[str, Any] = MappingProxyType(
    dict.fromkeys(
        (
            "lead_id",
            "email",
            "stage",
            "stage_at",
            "account",
            "consideration",
            "interests",
            "e",
            "fit",
            "last_seen",
            "created",
            "owner",
            "paused_until",
        )
    )
)


def summary_of(state: LeadState, rules: Rules) -> dict[str, Any]:
    """The lead's summary. Its email, account, owner and nurture pause are left out while
    null (an anonymous lead has no email or account, most have no owner or pause): 45
    bytes of a save on average. A reader puts them back (`SUMMARY_ROW`)."""
    model = rules.compiled.models[0]
    ms = state.models.get(model.name)
    stored = sum([entry[0] for entry in ms.engagement.values()]) if ms else 0.0
    summary = {
        "lead_id": state.lead_id,
        "stage": state.stage,
        "stage_at": state.stage_at,
        "consideration": lead_consideration(state.consideration),
        "interests": top_interests(state.topics),
        "e": [stored, ms.anchor if ms else state.created, model.model.half_life_days],
        "fit": sum(ms.fit.values()) if ms else 0.0,
        "last_seen": state.last_seen,
        "created": state.created,
    }
    if state.email is not None:
        summary["email"] = state.email
    if state.account is not None:
        summary["account"] = state.account
    if state.owner is not None:
        summary["owner"] = state.owner
    if state.paused_until is not None:
        summary["paused_until"] = state.paused_until
    return summary


def flush_leads(changed: Iterable[LeadState], rules: Rules) -> Effects:
    """Save every lead the run changed (`KeepLead`): state, and its summary in the index and
    account."""
    log = EffectLog()
    for state in changed:
        fields = summary_of(state, rules)
        predict_summary(state, rules, fields)
        # After the prediction (the change carries it), before the state is dumped (it notes
        # what it sent there).
        queue_lead_change(log, state, rules)
        log.add(SaveLead(state, fields))
    return log.effects()


def run_end(watermark: float, changed: Iterable[LeadState], rules: Rules) -> Effects:
    """After a run's messages: its watermark (`horizon.store_watermark`), and every lead it
    changed saved once."""
    return store_watermark(watermark) + flush_leads(changed, rules)
