"""One event's stage decision: its step, and the moves it makes (its signals are
`core.signals.signals_of`).

An event newer than every step the lead holds decides here and now (`move_stage`). One
older than the latest step (it came late), or one that identifies a lead holding an
anonymous fast pass, has the lead's stages walked again (`restage`), so the history stays
in event-time order and equals the walk over the lead's steps.

A CRM outcome's place is a function of the lead's steps, never of arrival order
(`stage_walk.place`): it takes effect at its own date, walked in event-time order like any
late event, except that one dated before the lead's first own step as a known person (its
first identified step that is not a CRM outcome) takes effect right after that step, at its
time, and keeps its own date as `reported`. So a `won` dated 100 days back does not precede
the lead, stage histories stay in time order whatever date a CRM sends, and a merge that
brings the lead's anonymous steps before or after the outcome ends in the same history. A
lead holding CRM outcomes only takes them at their dates; its first known step then walks
it again (`opens_known`).
"""

from __future__ import annotations

from typing import Any

from leadpulse.kernel.domain import CrmOutcome, Stage
from scorer.core.account_events import notify_lost
from scorer.core.config import Rules
from scorer.core.conversion.outcomes import note_outcome, note_stage_move
from scorer.core.conversion.profile import profile_to_record
from scorer.core.decay import DAY
from scorer.core.effects import CountEntry, EffectLog
from scorer.core.facts import EventFacts
from scorer.core.restage import restage
from scorer.core.stage_effects import mql_alert, push_activity, set_sla
from scorer.core.stage_walk import entries_of, opens_known
from scorer.core.stages import SALES_STAGES, Signals, transitions
from scorer.core.state import LeadState
from scorer.core.steps import HISTORY_KEPT, Entry, Step, insert_step

__all__ = ["move_stage", "take_step"]


def move_stage(
    log: EffectLog,
    state: LeadState,
    rules: Rules,
    *,
    to: str,
    reason: str,
    facts: EventFacts,
    model: str | None = None,
) -> None:
    """Enter a stage: funnel, history, timers, pause, and the mql alert.

    A second recycle (lost or not now again) restarts the pause: no new entry."""
    t = facts.t
    previous = state.stage
    note_stage_move(log, state, rules, to, reason, t)
    if to == Stage.RECYCLE:
        state.paused_until = t + rules.config.stages.pause_days * DAY
        state.lost = reason == "crm:lost"
        if state.lost:
            notify_lost(log, state, facts)
        state.lost_returned = False
        state.visits_since_lost = []
        if previous == Stage.RECYCLE:
            return
    elif previous == Stage.RECYCLE:
        state.paused_until = None
    if to in SALES_STAGES:
        state.lost = False  # sales has the deal again (or won it): nothing to return from
    log.add(CountEntry(t, to, previous, facts.utm_source, facts.utm_campaign))
    state.stage, state.stage_at = to, t
    entry = Entry(to, t, reason, facts.event_id, facts.utm_source, facts.utm_campaign, model)
    state.history = [*state.history, entry.raw()][-HISTORY_KEPT:]
    note_outcome(log, state, rules, reason)
    set_sla(log, state, rules, t)
    push_activity(log, state, t, previous, to, reason)
    if to == Stage.MQL:
        mql_alert(
            log,
            state,
            rules,
            t=t,
            previous=previous,
            trigger=facts.event_id,
            reason=reason,
            model=model,
        )


def _flags(facts: EventFacts, rules: Rules, signals: Signals) -> str:
    stages = rules.config.stages
    checks = (
        ("k", facts.names_person),
        ("p", facts.is_page),
        ("e", signals.engaging),
        ("n", facts.name in stages.nurturing_events),
        ("f", facts.name in stages.fast_pass_events),
        ("w", facts.name == "Webinar Attended"),
        ("c", signals.crm_outcome is not None),
        ("d", signals.crm_outcome is None and signals.disqualified is not None),
    )
    return "".join([flag for flag, on in checks if on])


def take_step(
    log: EffectLog,
    state: LeadState,
    rules: Rules,
    facts: EventFacts,
    signals: Signals,
    crossed: str | None,
    points: dict[str, float],
    traits_changed: bool = False,
    *,
    noise: bool = False,
    shown: list[Any] | None = None,
) -> None:
    """Record the event's step (`shown`: how the lead's page shows the event, from
    `core.timeline`) and make its stage moves. A noise step (a bot-flagged event) carries
    only whether its event named a person."""
    flags = ("k" if facts.names_person else "") if noise else _flags(facts, rules, signals)
    extra: object = None
    if "c" in flags:
        extra = [signals.crm_outcome, None]  # None: the walk places it (`stage_walk.place`)
    elif "d" in flags:
        extra = signals.disqualified
    fit = None
    if signals.identified:
        fit = {name: sum(ms.fit.values()) for name, ms in state.models.items()}
    profile = None
    if signals.identified:
        profile = profile_to_record(state, rules, facts.t, traits_changed)
    step = Step(
        facts.t,
        facts.event_id,
        flags,
        points,
        fit,
        facts.utm_source,
        facts.utm_campaign,
        extra,
        profile,
        shown,
    )
    last = insert_step(state.steps, step)
    if not last or (state.held and signals.identified) or opens_known(state.steps):
        restage(log, state, rules, [entries_of(state.history)])
        if signals.crm_outcome == CrmOutcome.LOST and state.stage == Stage.RECYCLE and state.lost:
            notify_lost(log, state, facts)  # the account hears of the loss either way
        return
    if signals.fast_pass and not signals.identified:
        state.held = state.held or facts.event_id
    for to, reason in transitions(state.stage, signals):
        model = crossed if reason == "score_threshold" else None
        move_stage(
            log,
            state,
            rules,
            to=to,
            reason=reason,
            facts=facts,
            model=model,
        )
