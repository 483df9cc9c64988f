"""Apply one behavior or CRM event to one lead: scores, content, stage moves, alerts.

Pure apart from recording its effects in a WriteSet and the partition's outbox list.
"""

from __future__ import annotations

from typing import Any

import orjson

from leadpulse.schema import CRM_OUTCOMES, Alert, EventEnvelope, encode
from scorer.account_returns import account_message, notify_lost, notify_visit
from scorer.accounts import absorb_account, fit_traits
from scorer.alerts import build_alert, lead_summary_data
from scorer.context import (
    RECENT_MAX,
    SCORE_HISTORY_MAX,
    Outbound,
    PartitionView,
    Rules,
    push_timeline,
    queue_outbound,
)
from scorer.decay import DAY
from scorer.facts import EventFacts
from scorer.funnel import record_entry
from scorer.rules import disqualified_by, email_domain
from scorer.scoring import model_total, refresh_fit, score_event
from scorer.stages import Signals, transitions
from scorer.state import LeadState, ModelState
from scorer.summary import write_lead
from scorer.writes import WriteSet

__all__ = ["apply_event", "queue_alert", "sla_member"]

_SLA_STAGES = ("sal", "sql", "opportunity")
_TRAITS_KEPT = 40
# A buying group counts people engaged within D days: one touch per person every D/4 days
# keeps the signal within a quarter window of exact at a fraction of the messages.


def queue_alert(view: PartitionView, ws: WriteSet, alert: Alert, state: LeadState) -> None:
    queue_outbound(view, ws, Outbound(alert.alert_id, "alerts", state.lead_id, encode(alert)))
    state.alerts = [*state.alerts, [alert.type, alert.alert_id, alert.occurred_at.timestamp()]][
        -20:
    ]


def _absorb_identity(state: LeadState, facts: EventFacts, rules: Rules, keys: list[str]) -> None:
    for key in keys:
        if key not in state.keys:
            state.keys.append(key)
    if facts.email and not state.email:
        state.email = facts.email
    for name, value in facts.traits.items():
        if name == "email" or isinstance(value, dict | list):
            continue
        if name in state.traits or len(state.traits) < _TRAITS_KEPT:
            state.traits[name] = value
    if facts.owner:
        state.owner = facts.owner
    if facts.verified:
        state.verified = True
    if facts.account_id:
        state.account = facts.account_id.lower()
    elif state.account is None:
        domain = email_domain(state.email)
        if domain and domain not in rules.compiled.lists["free_mail"]:
            state.account = domain


def _timeline_entry(facts: EventFacts, awarded: list[tuple[str, float]]) -> bytes:
    entry: dict[str, Any] = {"at": facts.t, "type": facts.kind, "id": facts.event_id}
    if facts.name:
        entry["event"] = facts.name
    if facts.path:
        entry["path"] = facts.path
    if facts.title:
        entry["title"] = facts.title
    if facts.noise:
        entry["flagged"] = facts.noise_reason or "noise"
    if awarded:
        entry["points"] = [[rule, points] for rule, points in awarded]
    return orjson.dumps(entry)


def sla_member(lead_id: str, stage: str, since: float) -> str:
    """An SLA timer's member: the lead and the stay (stage, entered at) it times."""
    return f"{lead_id}|{stage}|{since:.3f}"


def _set_sla(ws: WriteSet, view: PartitionView, state: LeadState, rules: Rules, t: float) -> None:
    if state.sla_member:
        ws.zrem(view.pk.sla, state.sla_member)
        state.sla_member = None
    sla = rules.config.stages.sla
    if state.stage == "mql":
        deadline = t + sla.mql_hours * 3600
    elif state.stage in _SLA_STAGES:
        deadline = t + getattr(sla, f"{state.stage}_days") * DAY
    else:
        return
    state.sla_member = sla_member(state.lead_id, state.stage, t)
    ws.zadd(view.pk.sla, deadline, state.sla_member)


def move_stage(
    ws: WriteSet,
    view: PartitionView,
    state: LeadState,
    rules: Rules,
    *,
    to: str,
    reason: str,
    facts: EventFacts,
    model: str | None = None,
) -> None:
    """Enter a stage: funnel, history, timers, pause, and the mql alert."""
    t = facts.t
    previous = state.stage
    record_entry(ws, view.pk, t, to, previous, facts.utm_source, facts.utm_campaign)
    state.stage, state.stage_at = to, t
    state.history = [*state.history, [to, t]][-50:]
    if to == "recycle":
        state.paused_until = t + rules.config.stages.pause_days * DAY
        state.lost = reason == "crm:lost"
        if state.lost:
            notify_lost(ws, view, state, facts)
        state.lost_returned = False
        state.visits_since_lost = []
    elif previous == "recycle":
        state.paused_until = None
    _set_sla(ws, view, state, rules, t)
    activity = {
        "at": t,
        "lead_id": state.lead_id,
        "email": state.email,
        "from": previous,
        "to": to,
        "reason": reason,
    }
    ws.lpush(view.pk.recent, orjson.dumps(activity), RECENT_MAX)
    if to == "mql":
        alert = build_alert(
            "mql",
            state,
            rules.compiled.models,
            t=t,
            transition=f"{previous}>mql",
            trigger=facts.event_id,
            reason=reason,
            model=model,
        )
        queue_alert(view, ws, alert, state)


def _lost_deal_check(
    ws: WriteSet, view: PartitionView, state: LeadState, rules: Rules, facts: EventFacts
) -> None:
    if not (state.lost and not state.lost_returned and facts.is_page):
        return
    window = rules.config.stages.lost_deal_return
    since = facts.t - window.days * DAY
    state.visits_since_lost = [v for v in [*state.visits_since_lost, facts.t] if v >= since][-50:]
    if len(state.visits_since_lost) < window.visits:
        return
    state.lost_returned = True
    alert = build_alert(
        "lost_deal_returned",
        state,
        rules.compiled.models,
        t=facts.t,
        transition="lost>returned",
        trigger=facts.event_id,
        reason=f"{len(state.visits_since_lost)} visits in {window.days:g} days after a lost deal",
    )
    queue_alert(view, ws, alert, state)


def _signals(
    state: LeadState,
    facts: EventFacts,
    rules: Rules,
    event: EventEnvelope,
    traits_changed: bool,
    earned: float,
) -> tuple[Signals, str | None]:
    stages = rules.config.stages
    identified = state.email is not None or any(not k.startswith("anon:") for k in state.keys)
    return_visit = (
        facts.is_page
        and state.last_page is not None
        and facts.t - state.last_page >= stages.return_visit_after_minutes * 60
    )
    domain = email_domain(state.email)
    target = domain is not None and domain in rules.compiled.lists["target_accounts"]
    fast_pass = facts.name in stages.fast_pass_events or (
        stages.target_account_event_fast_pass and target and facts.name == "Webinar Attended"
    )
    crossed: str | None = None
    at = max(facts.t, state.last_seen)
    for model in rules.compiled.models:
        total = model_total(state.models.get(model.name), model.model.half_life_days, at)
        if total >= model.model.threshold:
            crossed = model.name
            break
    is_crm = event.type == "crm" and facts.name in CRM_OUTCOMES
    signals = Signals(
        t=facts.t,
        identified=identified,
        # A visit, or behaviour that earned points: an unsubscribe re-engages nobody.
        engaging=facts.is_page or (event.type in ("track", "webinar") and earned > 0),
        nurturing=return_visit or facts.name in stages.nurturing_events,
        fast_pass=fast_pass,
        over_threshold=crossed is not None,
        crm_outcome=facts.name if is_crm else None,
        # Unchanged traits cannot newly disqualify: a disqualified lead already left.
        disqualified=disqualified_by(rules.compiled, state.traits, state.email)
        if traits_changed
        else None,
        paused_until=state.paused_until,
    )
    return signals, crossed


def apply_event(
    ws: WriteSet,
    view: PartitionView,
    state: LeadState,
    rules: Rules,
    event: EventEnvelope,
    facts: EventFacts,
    keys: list[str],
) -> None:
    before = (state.email, len(state.traits))
    account_before = state.account
    _absorb_identity(state, facts, rules, keys)
    account_changed = absorb_account(ws, view, state, facts, account_before)
    traits_changed = (
        bool(facts.traits) or account_changed or (state.email, len(state.traits)) != before
    )
    awarded: list[tuple[str, float]] = []
    if not facts.noise:
        for model in rules.compiled.models:
            ms = state.models.get(model.name)
            new_model = ms is None
            if ms is None:
                ms = state.models[model.name] = ModelState(
                    anchor=state.created, half_life_days=model.model.half_life_days
                )
            awarded += score_event(ms, model, facts)
            # Fit depends only on traits and email: recomputed when they change.
            if traits_changed or new_model:
                refresh_fit(
                    ms, model, fit_traits(state), state.email, rules.compiled.lists, facts.t
                )
        page = rules.content.page(facts.path) if facts.is_page else None
        if page is not None:
            state.consideration[page.consideration] = (
                state.consideration.get(page.consideration, 0) + 1
            )
            for topic in page.topics:
                state.topics[topic] = state.topics.get(topic, 0) + 1
        _lost_deal_check(ws, view, state, rules, facts)
        if view.lost_accounts and state.account in view.lost_accounts:
            notify_visit(ws, view, state, rules, facts)
        earned = sum(points for _, points in awarded)
        signals, crossed = _signals(state, facts, rules, event, traits_changed, earned)
        for to, reason in transitions(state.stage, signals):
            move_stage(
                ws,
                view,
                state,
                rules,
                to=to,
                reason=reason,
                facts=facts,
                model=crossed if reason == "score_threshold" else None,
            )
        if facts.is_page:
            state.last_page = max(state.last_page or facts.t, facts.t)
    state.last_seen = max(state.last_seen, facts.t)
    entry = _timeline_entry(facts, awarded)
    push_timeline(view, ws, state.lead_id, entry, rules.config.timeline_max)
    if awarded:
        primary = rules.compiled.models[0]
        total = model_total(
            state.models.get(primary.name), primary.model.half_life_days, state.last_seen
        )
        point = [state.last_seen, round(total, 2)]
        ws.lpush(view.pk.score_history(state.lead_id), orjson.dumps(point), SCORE_HISTORY_MAX)
        every = rules.config.accounts.buying_group.days * DAY / 4
        fresh = state.touched_at is None or abs(facts.t - state.touched_at) >= every
        if state.account and fresh and sum(p for _, p in awarded) > 0:
            state.touched_at = facts.t
            _touch_account(ws, view, state, rules, facts)
    write_lead(ws, view, state, rules)


def _touch_account(
    ws: WriteSet, view: PartitionView, state: LeadState, rules: Rules, facts: EventFacts
) -> None:
    """Tell the account's scorer that this person engaged (buying group signal)."""
    assert state.account is not None
    summary = lead_summary_data(state, rules.compiled.models, facts.t)
    control = {"lead_id": state.lead_id, "at": facts.t, "lead": summary}
    event_id = f"acct:{facts.event_id}:{state.lead_id}"
    queue_outbound(view, ws, account_message(event_id, state.account, facts.t, control))
