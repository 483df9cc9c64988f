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

import orjson

from scorer.core.config import Rules
from scorer.core.content import lead_consideration, top_interests
from scorer.core.conversion.summary import predict_summary
from scorer.core.crm_changes import queue_lead_change
from scorer.core.effects import EffectLog, Effects, SaveLead
from scorer.core.horizon import store_watermark
from scorer.core.state import LeadState

__all__ = [
    "SUMMARY_ROW",
    "flush_leads",
    "run_end",
    "stored_summary",
    "summary_fields",
    "summary_of",
]

# A summary's fields in the order the list shows them: a reader starts from this, so the
# fields a stored summary leaves out read back as null (`summary_fields`).
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
# How the list index keeps a summary (`stored_summary`): these fields' values as a JSON array,
# then the prediction's fields (`conversion.summary`), if any, as an object. Field names
# written in every value were 40% of it, and the lead id names the hash field already.
_STORED = tuple(SUMMARY_ROW)[1:]


def stored_summary(summary: Mapping[str, Any]) -> bytes:
    """A summary as the list index keeps it: positional, without its lead id."""
    values = [summary.get(name) for name in _STORED]
    extra = {name: value for name, value in summary.items() if name not in SUMMARY_ROW}
    if extra:
        values.append(extra)
    else:
        while values and values[-1] is None:  # an owner and a nurture pause are rare
            values.pop()
    return orjson.dumps(values)


def summary_fields(lead_id: str, raw: bytes | str) -> dict[str, Any]:
    """The summary the list index holds for `lead_id`, its fields in `SUMMARY_ROW` order
    (null where none was stored). A summary stored as an object by earlier versions reads
    as it is."""
    stored = orjson.loads(raw)
    if isinstance(stored, dict):
        return {**SUMMARY_ROW, **stored}
    row = {**SUMMARY_ROW, "lead_id": lead_id}
    extra = stored.pop() if stored and isinstance(stored[-1], dict) else None
    row.update(zip(_STORED, stored, strict=False))
    if extra:
        row.update(extra)
    return row


def summary_of(state: LeadState, rules: Rules) -> dict[str, Any]:
    """The lead's summary, in `SUMMARY_ROW` order."""
    model = rules.compiled.models[0]
    ms = state.models.get(model.name)
    stored = sum([entry[0] for entry in ms.engagement.values()]) if ms else 0.0
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
