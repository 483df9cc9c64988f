"""Receiving side of identity work: merges into a survivor, forgetting, account touches."""

from __future__ import annotations

from typing import Any

import orjson

from leadpulse.schema import AlertLead, EventEnvelope, encode
from scorer.accounts import fit_traits
from scorer.alerts import account_alert
from scorer.context import Outbound, PartitionView, Rules, push_timeline, queue_outbound
from scorer.decay import DAY
from scorer.facts import EventFacts
from scorer.funnel import record_exit
from scorer.identity import forget_message, merge_message
from scorer.keys import suppression_digest
from scorer.lead_events import move_stage
from scorer.scoring import merge_model, model_total, refresh_fit
from scorer.stages import Signals, transitions
from scorer.state import LeadState, ModelState
from scorer.summary import remove_lead, write_lead
from scorer.writes import WriteSet

__all__ = ["apply_account", "apply_forget", "apply_merge"]

_RANK = {
    s: i
    for i, s in enumerate(
        ("visitor", "lead", "nurturing", "mql", "sal", "sql", "opportunity", "customer")
    )
}


def t_of(event: EventEnvelope) -> float:
    return event.timestamp.timestamp()


def _load_snapshot(raw: dict[str, Any]) -> LeadState:
    return LeadState.loads(orjson.dumps(raw))


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
    dst.verified = dst.verified or src.verified
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
            mine.fit, mine.fit_at = dict(theirs.fit), theirs.fit_at
    # Fit follows traits and email, which the fold may have combined.
    for model in rules.compiled.models:
        ms = dst.models.get(model.name)
        if ms is not None:
            traits = fit_traits(dst)
            refresh_fit(ms, model, traits, dst.email, rules.compiled.lists, dst.last_seen)


def apply_merge(ws: WriteSet, view: PartitionView, event: EventEnvelope, rules: Rules) -> None:
    control = event.control or {}
    survivor = str(control.get("survivor", ""))
    lead_id = view.identities.get(survivor)
    state = view.leads.get(lead_id) if lead_id else None
    snapshot = control.get("snapshot") or {}
    if state is None and survivor in view.forwards and "lead" in snapshot:
        # The survivor was itself merged into a stronger identity: pass the history on.
        onward = view.forwards[survivor]
        queue_outbound(view, ws, merge_message(event.event_id, onward, t_of(event), snapshot))
        return
    if state is None or "lead" not in snapshot:
        return  # the survivor was forgotten meanwhile: its merged history goes with it
    src = _load_snapshot(snapshot["lead"])
    t = event.timestamp.timestamp()
    _fold(state, src, rules)
    for key in src.keys:
        if key not in view.identities:
            view.identities[key] = state.lead_id
            ws.hset(view.pk.identities, key, state.lead_id)
    entries = sorted(
        (orjson.loads(entry) for entry in snapshot.get("timeline", [])),
        key=lambda e: e.get("at", 0),
    )
    for entry in entries:
        push_timeline(view, ws, state.lead_id, orjson.dumps(entry), rules.config.timeline_max)
    if _RANK.get(src.stage, -1) > _RANK.get(state.stage, -1) and state.stage in _RANK:
        # Adopt the further stage without a new entry: both people were already counted.
        record_exit(ws, view.pk, t, state.stage)
        ws.hincr(view.pk.funnel("bal"), f"{_day(t)}|{src.stage}", 1)
        state.stage, state.stage_at = src.stage, src.stage_at
        state.history = [*state.history, [src.stage, src.stage_at]][-50:]
    facts = EventFacts(event_id=event.event_id, kind="merge", name=None, t=t)
    identified = state.email is not None or any(not k.startswith("anon:") for k in state.keys)
    crossed = None
    at = max(t, state.last_seen)
    for model in rules.compiled.models:
        total = model_total(state.models.get(model.name), model.model.half_life_days, at)
        if total >= model.model.threshold:
            crossed = model.name
            break
    signals = Signals(t=t, identified=identified, over_threshold=crossed is not None)
    for to, reason in transitions(state.stage, signals):
        move_stage(ws, view, state, rules, to=to, reason=reason, facts=facts, model=crossed)
    write_lead(ws, view, state, rules)


def _day(t: float) -> str:
    from scorer.funnel import day_of

    return day_of(t)


def apply_forget(ws: WriteSet, view: PartitionView, event: EventEnvelope, key: str) -> None:
    """Forget a person: state, identities, timeline here; cascade to identities elsewhere."""
    t = event.timestamp.timestamp()
    control = event.control or {}
    keys = {key, *event.identity.keys(), *control.get("identities", [])}
    lead_id = next((view.identities[k] for k in keys if k in view.identities), None)
    state = view.leads.get(lead_id) if lead_id else None
    if state is not None:
        keys |= set(state.keys)
        record_exit(ws, view.pk, t, state.stage)
        remove_lead(ws, view, state)
    for k in sorted(keys):
        view.suppress.append(suppression_digest(k))
        view.suppressed.add(suppression_digest(k))
        if k in view.forwards:
            ws.hdel(view.pk.fwd, k)
            view.forwards.pop(k)
        if view.identities.get(k) is not None:
            ws.hdel(view.pk.identities, k)
            view.identities.pop(k)
        if not control.get("cascade") and k != key:
            queue_outbound(view, ws, forget_message(k, event.event_id, t))


def apply_account(ws: WriteSet, view: PartitionView, event: EventEnvelope, rules: Rules) -> None:
    """A person of an account engaged: keep the account's engaged set; maybe a buying group."""
    control = event.control or {}
    account = str(control.get("account", ""))
    lead_id = str(control.get("lead_id", ""))
    at = float(control.get("at", event.timestamp.timestamp()))
    if not account or not lead_id:
        return
    group_cfg = rules.config.accounts.buying_group
    since = at - group_cfg.days * DAY
    group = view.groups.setdefault(account, {})
    group[lead_id] = max(group.get(lead_id, at), at)
    for member in [m for m, seen in group.items() if seen < since]:
        del group[member]
    ws.zadd(view.pk.buying_group(account), group[lead_id], lead_id)
    ws.zcut(view.pk.buying_group(account), since)
    fired = view.group_fired.get(account)
    if len(group) < group_cfg.people or (fired is not None and at - fired < group_cfg.days * DAY):
        return
    view.group_fired[account] = at
    ws.set(view.pk.buying_group_fired(account), repr(at))
    lead = AlertLead.model_validate(
        control.get("lead") or {"lead_id": lead_id, "stage": "lead", "score": 0}
    )
    alert = account_alert(
        "buying_group",
        account,
        lead,
        transition="group",
        trigger=event.event_id,
        reason=f"{len(group)} engaged people at {account} in {group_cfg.days:g} days",
        t=event.timestamp.timestamp(),
    )
    queue_outbound(view, ws, Outbound(alert.alert_id, "alerts", account, encode(alert)))
