"""Recycling a lead whose sales SLA ran out (`stages.sla.recycle_when_stale`)."""

from __future__ import annotations

from leadpulse.kernel.domain import Stage
from leadpulse.kernel.messages import Stale
from leadpulse.kernel.wire import Envelope
from scorer.core.config import Rules
from scorer.core.effects import EffectLog, Effects, KeepLead
from scorer.core.facts import EventFacts
from scorer.core.restage import restage
from scorer.core.stage_effects import sla_member
from scorer.core.stage_moves import move_stage
from scorer.core.stage_walk import entries_of
from scorer.core.state import LeadState
from scorer.core.steps import Step, insert_step

__all__ = ["apply_stale"]


def apply_stale(state: LeadState | None, event: Envelope, stale: Stale, rules: Rules) -> Effects:
    """Recycle the lead if it still sits in the stage, since the time, the timer was set for.

    A lead that moved on (accepted by sales, lost, merged away) since the timer fired keeps
    its stage: the message only ever recycles the exact stay that went stale. `state`: the
    lead the timer names, as the partition holds it (None: gone).
    """
    if not rules.config.stages.sla.recycle_when_stale:
        return Effects()  # turned off since the timer fired
    if state is None:
        return Effects()
    try:
        named = sla_member(state.lead_id, stale.stage, float(stale.since))
    except ValueError:
        return Effects()  # names no stay a timer was ever set for
    t = event.timestamp.timestamp()
    step = Step(t, event.event_id, "s", {}, None, None, None, [stale.stage, stale.since])
    old = entries_of(state.history)
    log = EffectLog()
    if not insert_step(state.steps, step):
        restage(log, state, rules, [old])  # a step newer than the timer came first
    elif named == sla_member(state.lead_id, state.stage, state.stage_at):
        facts = EventFacts(event_id=event.event_id, kind="stale", name=None, t=t)
        move_stage(log, state, rules, to=Stage.RECYCLE.value, reason="sla:stale", facts=facts)
    log.add(KeepLead(state))
    return log.effects()
