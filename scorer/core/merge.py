"""A merge decided: the lead a claimed identity named elsewhere, folded into its survivor."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from leadpulse.kernel.messages import Snapshot
from scorer.core.accounts import fit_traits
from scorer.core.config import Rules
from scorer.core.effects import (
    CountExit,
    EffectLog,
    Effects,
    KeepLead,
    MapIdentity,
)
from scorer.core.restage import restage
from scorer.core.scoring import merge_model, refresh_fit, told
from scorer.core.stage_walk import entries_of
from scorer.core.state import LeadState, ModelState
from scorer.core.steps import STEPS_KEPT, step_order
from scorer.core.timeline import merged_steps

__all__ = ["load_snapshot", "merge_leads"]


def load_snapshot(snapshot: Snapshot) -> LeadState:
    """The merged-away lead's state, as its snapshot carries it (stored, or as JSON)."""
    if snapshot.state is not None:
        return LeadState.loads(snapshot.state)
    return LeadState.loads(orjson.dumps(snapshot.lead))


def _fold(dst: LeadState, src: LeadState, rules: Rules) -> None:
    for key in src.keys:
        if key not in dst.keys:
            dst.keys.append(key)
    dst.email = dst.email or src.email
    dst.traits = {**src.traits, **dst.traits}
    if src.account_at > dst.account_at or not dst.account:
        dst.account = src.account or dst.account
        dst.account_traits, dst.account_at = dict(src.account_traits), src.account_at
    dst.owner = dst.owner or src.owner
    # The examples both published, to correct after the walk, and the decisions closed.
    dst.examples = sorted({str(e[0]): e for e in src.examples + dst.examples}.values())
    dst.example_rev = max(dst.example_rev, src.example_rev)
    dst.horizon_closed = sorted({*dst.horizon_closed, *src.horizon_closed})
    dst.verified = dst.verified or src.verified
    # Alerts either side raised stay the lead's (the walk then keeps the mql ones it has).
    alerts = {str(a[1]): a for a in src.alerts + dst.alerts}
    dst.alerts = sorted(alerts.values(), key=_alert_at)[-20:]
    dst.lost_returned = dst.lost_returned or src.lost_returned
    dst.created = min(dst.created, src.created)
    dst.last_seen = max(dst.last_seen, src.last_seen)
    if src.last_page is not None:
        dst.last_page = max(dst.last_page or src.last_page, src.last_page)
    for topic, n in src.topics.items():
        dst.topics[topic] = dst.topics.get(topic, 0) + n
    for stage, n in src.consideration.items():
        dst.consideration[stage] = dst.consideration.get(stage, 0) + n
    for model in rules.compiled.models:
        theirs = src.models.get(model.name)
        if theirs is None:
            continue
        mine = dst.models.setdefault(
            model.name, ModelState(anchor=theirs.anchor, half_life_days=theirs.half_life_days)
        )
        merge_model(mine, theirs, model)
        if not mine.fit and theirs.fit:
            mine.fit = dict(theirs.fit)
        told(mine, theirs.fit_at)
    # Fit follows traits and email, which the fold may have combined.
    for model in rules.compiled.models:
        ms = dst.models.get(model.name)
        if ms is not None:
            refresh_fit(ms, model, fit_traits(dst), dst.email, rules.compiled.lists)


def _alert_at(alert: list[Any]) -> tuple[float, str]:
    return (float(alert[2]), str(alert[1]))


def _join_steps(dst: LeadState, src: LeadState) -> None:
    mine = {step[1] for step in dst.steps}
    joined = dst.steps + [step for step in src.steps if step[1] not in mine]
    joined.sort(key=step_order)
    dst.steps = joined[-STEPS_KEPT:]
    dst.held = dst.held or src.held


def merge_leads(
    state: LeadState,
    merged: Snapshot,
    t: float,
    rules: Rules,
    identities: Mapping[str, str],
) -> Effects:
    """Join a merged-away lead (`merged`: its state, and the timeline entries an earlier
    version kept apart) into the survivor `state`; its stages are walked again from both
    sides' steps, which carry their timeline. `identities`: the partition's mapped
    identities (those of the merged side not yet mapped are mapped to the survivor)."""
    src = load_snapshot(merged)
    src.steps = merged_steps(src.steps, merged.timeline)
    # A lead stored before steps were kept cannot be walked: it keeps its stage, and the
    # merged-away side leaves the funnel (rescore rebuilds both exactly).
    legacy = any(lead.history and not lead.steps for lead in (state, src))
    old = [entries_of(state.history), entries_of(src.history)]
    _fold(state, src, rules)
    _join_steps(state, src)
    log = EffectLog()
    for key in dict.fromkeys(src.keys):
        if key not in identities:
            log.add(MapIdentity(key, state.lead_id))
    if legacy:
        log.add(CountExit(t, src.stage))
    else:
        restage(log, state, rules, old)
    log.add(KeepLead(state))
    return log.effects()
