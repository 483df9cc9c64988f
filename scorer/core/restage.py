"""Walk a lead's stage history again and make the stored state agree with the walk.

Used by a merge (two histories become one) and by an event older than the lead's latest
step. The funnel is corrected by retraction: the counts each old history made are taken
back and the walked history's counts are added, so the counters always equal the count of
the stage histories the leads hold. mql alerts follow the walked history: an mql entry
without its alert raises it (ids are deterministic: lead, transition, triggering event),
and an mql entry the walk no longer has drops its alert from the lead.
"""

from __future__ import annotations

import math

from leadpulse.kernel.domain import AlertType, Stage
from scorer.core.config import Rules
from scorer.core.conversion.decisions import decision_at, watch
from scorer.core.conversion.published import sync
from scorer.core.effects import CountHistory, EffectLog
from scorer.core.stage_effects import (
    legacy_mql_alert_id,
    mql_alert,
    mql_alert_id,
    push_activity,
    set_sla,
)
from scorer.core.stage_walk import walk
from scorer.core.state import LeadState
from scorer.core.steps import HISTORY_KEPT, Entry, Step

__all__ = ["restage"]


def restage(log: EffectLog, state: LeadState, rules: Rules, old: list[list[Entry]]) -> None:
    """Re-walk `state.steps`; `old` are the histories the funnel counted so far."""
    steps = [Step.of(raw) for raw in state.steps]
    first = steps[0].t if steps else math.inf
    prefix = sorted((e for h in old for e in h if e.at < first), key=lambda e: e.at)
    w = walk(prefix, steps, rules, state.email)
    if w.stage is None:
        return
    for history in old:
        log.add(CountHistory(tuple(history), -1))
    log.add(CountHistory(tuple(w.history), 1))
    stay = (state.stage, state.stage_at)
    state.stage, state.stage_at = w.stage, w.stage_at
    state.history = [e.raw() for e in w.history][-HISTORY_KEPT:]
    state.paused_until, state.lost, state.held = w.paused_until, w.lost, w.held
    decided = decision_at(state, rules.predict.decision_stages)
    if decided is not None:
        watch(log, state, decided[0], rules)  # the walk may have moved the decision
    sync(log, state, rules)  # and the examples: retracted, replaced or new
    if stay != (w.stage, w.stage_at):
        if w.stage == Stage.RECYCLE:
            state.lost_returned, state.visits_since_lost = False, []
        set_sla(log, state, rules, w.stage_at)
    known = {(e.stage, e.at, e.trigger) for history in old for e in history}
    wanted: dict[str, tuple[str, Entry]] = {}
    legacy: dict[str, str] = {}  # an id as stored before, -> the id it has now
    previous: str | None = None
    for e in w.history:
        if previous is not None and (e.stage, e.at, e.trigger) not in known:
            push_activity(log, state, e.at, previous, e.stage, e.reason or "")
        if e.stage == Stage.MQL and previous is not None and e.trigger:
            aid = mql_alert_id(previous, e.trigger)
            wanted[aid] = (previous, e)
            legacy[legacy_mql_alert_id(state.lead_id, previous, e.trigger)] = aid
        previous = e.stage
    state.alerts = [
        a for a in state.alerts if a[0] != AlertType.MQL or a[1] in wanted or a[1] in legacy
    ]
    have = {legacy.get(a[1], a[1]) for a in state.alerts}
    for aid, (before, e) in wanted.items():
        if aid not in have:
            assert e.trigger is not None
            mql_alert(
                log,
                state,
                rules,
                t=e.at,
                previous=before,
                trigger=e.trigger,
                reason=e.reason or "",
                model=e.model,
            )
