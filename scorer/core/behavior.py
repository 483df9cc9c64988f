"""One behavior or CRM event decided for its lead (`decide_event`, the handler's one call).

First the lead: the one the event's identities name in the partition's view, or a new
one; its identities mapped to it and claimed where they may live on another partition
(`core.identity`). Then the event applied to it (`apply_event`): identity and account,
scores, content, stage moves, alerts. Changes the lead's state and adds what the event does
beyond it to an `EffectLog`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from leadpulse.kernel.domain import AlertType
from leadpulse.kernel.messages import AccountTouch
from leadpulse.kernel.schema import lead_id_for
from leadpulse.kernel.wire import Envelope
from scorer.core.account_events import absorb_account, account_message, came_back, notify_visit
from scorer.core.alerts import build_alert, lead_summary_data
from scorer.core.config import Rules
from scorer.core.content import read_page
from scorer.core.decay import DAY
from scorer.core.effects import (
    CountEntry,
    EffectLog,
    Effects,
    KeepLead,
    MapIdentity,
    Publish,
)
from scorer.core.facts import EventFacts, facts_of
from scorer.core.identity import claim_message, outranks
from scorer.core.rules import email_domain
from scorer.core.scoring import model_total, score_lead
from scorer.core.signals import signals_of
from scorer.core.stage_effects import queue_alert
from scorer.core.stage_moves import take_step
from scorer.core.stages import Signals
from scorer.core.state import LeadState
from scorer.core.steps import Entry
from scorer.core.timeline import shown_of

__all__ = ["apply_event", "decide_event"]
_TRAITS_KEPT = 40


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


def _score_point(state: LeadState, rules: Rules, facts: EventFacts) -> list[float]:
    """The [time, score] an event that scored puts on the lead's score history: the primary
    model's total as of the newest event seen (its stage moves change no score)."""
    seen = max(state.last_seen, facts.t)
    primary = rules.compiled.models[0]
    total = model_total(state.models.get(primary.name), primary.model.half_life_days, seen)
    return [seen, round(total, 2)]


def _lost_at(state: LeadState) -> float:
    """When the lead's deal was lost: its latest entry into recycle by a CRM `lost`."""
    entries = (Entry.of(raw) for raw in reversed(state.history))
    return next((e.at for e in entries if e.reason == "crm:lost"), -math.inf)


def _lost_deal_check(log: EffectLog, state: LeadState, rules: Rules, facts: EventFacts) -> None:
    if not (state.lost and not state.lost_returned and facts.is_page):
        return
    if facts.t < _lost_at(state):
        return  # a visit from before the deal was lost, come late
    window = rules.config.stages.lost_deal_return
    state.visits_since_lost, back = came_back(
        state.visits_since_lost, facts.t, window.visits, window.days
    )
    if not back:
        return
    state.lost_returned = True
    alert = build_alert(
        AlertType.LOST_DEAL_RETURNED,
        state,
        rules.compiled.models,
        t=facts.t,
        transition="lost>returned",
        trigger=facts.event_id,
        reason=f"{window.visits} visits in {window.days:g} days after a lost deal",
    )
    queue_alert(log, alert, state)


def decide_event(
    event: Envelope,
    key: str,
    keys: list[str],
    rules: Rules,
    *,
    forwarded_in: bool,
    leads: Mapping[str, LeadState | None],
    identities: Mapping[str, str],
    forwards: Mapping[str, str],
    accounts: Mapping[str, Any],
    lost_accounts: Mapping[str, float],
) -> Effects:
    """One behavior or CRM event, keyed `key` and naming `keys` (the key first), decided
    for its lead: the lead its identities name in the partition's view (`leads`,
    `identities`, `forwards`: a new lead when none does), its identities mapped to it and
    claimed where they may live elsewhere, then the event applied (`apply_event`).
    `forwarded_in`: the event came here through a merged identity's forward."""
    facts = facts_of(event)
    log = EffectLog()
    state = _lead_of(log, rules, key, event, facts, keys, forwarded_in, leads, identities, forwards)
    apply_event(log, state, rules, facts, keys, accounts=accounts, lost_accounts=lost_accounts)
    return log.effects()


def apply_event(
    log: EffectLog,
    state: LeadState,
    rules: Rules,
    facts: EventFacts,
    keys: list[str],
    *,
    accounts: Mapping[str, Any],
    lost_accounts: Mapping[str, float],
) -> None:
    """`accounts` and `lost_accounts`: the directory as of the last tick."""
    before = (state.email, len(state.traits))
    account_before = state.account
    _absorb_identity(state, facts, rules, keys)
    account_changed = absorb_account(log, accounts, state, facts, account_before)
    traits_changed = (
        bool(facts.traits) or account_changed or (state.email, len(state.traits)) != before
    )
    awarded: list[tuple[str, float]] = []
    earned = 0.0
    if not facts.noise:
        models, lists = rules.compiled.models, rules.compiled.lists
        awarded, points = score_lead(state, models, facts, lists, refit=traits_changed)
        if facts.is_page:
            read_page(state, rules.content, facts.path)
        _lost_deal_check(log, state, rules, facts)
        if lost_accounts and state.account in lost_accounts:
            notify_visit(log, lost_accounts, state, rules, facts)
        earned = sum([p for _, p in awarded])
        signals, crossed = signals_of(state, facts, rules, traits_changed, earned)
        shown = shown_of(facts, awarded, _score_point(state, rules, facts) if awarded else None)
        take_step(log, state, rules, facts, signals, crossed, points, traits_changed, shown=shown)
        if facts.is_page:
            state.last_page = max(state.last_page or facts.t, facts.t)
    else:
        # No points and no engagement, but a step all the same: a lead a bot-flagged event
        # created holds the stage entry it made, and every stage entry must come from a
        # step for a merge or a late event to walk the history again.
        signals, crossed = signals_of(state, facts, rules, False, 0.0)
        quiet = Signals(
            t=signals.t,
            identified=signals.identified,
            over_threshold=signals.over_threshold,
            paused_until=signals.paused_until,
        )
        shown = shown_of(facts, ())
        take_step(log, state, rules, facts, quiet, crossed, {}, noise=True, shown=shown)
    state.last_seen = max(state.last_seen, facts.t)
    if awarded:
        # A buying group counts people engaged within D days: one touch per person every
        # D/4 days keeps the signal within a quarter window of exact at a fraction of the
        # messages.
        every = rules.config.accounts.buying_group.days * DAY / 4
        fresh = state.touched_at is None or abs(facts.t - state.touched_at) >= every
        if state.account and fresh and earned > 0:
            state.touched_at = facts.t
            _touch_account(log, state, rules, facts)
    log.add(KeepLead(state))


def _touch_account(log: EffectLog, state: LeadState, rules: Rules, facts: EventFacts) -> None:
    """Tell the account's scorer that this person engaged (buying group signal)."""
    assert state.account is not None
    summary = lead_summary_data(state, rules.compiled.models, facts.t)
    touch = AccountTouch(account=state.account, lead_id=state.lead_id, at=facts.t, lead=summary)
    event_id = f"acct:{facts.event_id}:{state.lead_id}"
    log.add(Publish(account_message(event_id, facts.t, touch)))


def _lead_of(
    log: EffectLog,
    rules: Rules,
    key: str,
    event: Envelope,
    facts: EventFacts,
    keys: list[str],
    forwarded_in: bool,
    leads: Mapping[str, LeadState | None],
    identities: Mapping[str, str],
    forwards: Mapping[str, str],
) -> LeadState:
    """The lead an event's identities name here (a new one if none); what knowing it does
    goes to `log`: its identities mapped to it, claims sent for those that may live
    elsewhere."""
    own = identities.get(key)
    lead_id = own or next((identities[k] for k in keys if k in identities), None)
    state = leads.get(lead_id) if lead_id else None
    if state is not None and lead_id != own and not forwarded_in and outranks(key, state.keys):
        # A stronger identity than the lead found through a weaker one of the event's
        # (living on this partition too): a lead of its own, which claims the weaker one
        # as it would on any other partition. So the lead and its id do not depend on
        # whether the weaker identity was already claimed by someone else.
        lead_id, state = None, None
    if state is None:
        lead_id = lead_id or lead_id_for(key)
        state = LeadState(lead_id=lead_id, created=facts.t, stage_at=facts.t, last_seen=facts.t)
        identified = facts.email is not None or any(not k.startswith("anon:") for k in keys)
        state.stage = "lead" if identified else "visitor"
        entry = Entry(state.stage, facts.t, "new", event.event_id)
        state.history = [entry._replace(source=facts.utm_source, campaign=facts.utm_campaign).raw()]
        log.add(CountEntry(facts.t, state.stage, None, facts.utm_source, facts.utm_campaign))
    may_merge = facts.verified or not rules.config.require_verified_merge
    for k in keys:
        owner = identities.get(k)
        if owner == state.lead_id:
            continue
        if owner is None:
            log.add(MapIdentity(k, state.lead_id))
        if k != key and not forwarded_in and may_merge and k not in forwards:
            claim = claim_message(k, key, state.lead_id, state.stage, facts.t, event.event_id)
            log.add(Publish(claim))
    return state
