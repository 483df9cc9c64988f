"""Apply one Kafka message to its partition's view: the single entry point of the logic.

Every handler decides the message's `Effects`; `apply_effects` records them in the run's
WriteSet, which `lua/apply.lua` executes atomically with the partition's offset and dedupe
set, and in the view, which the batch's later messages read. `apply_time` (before each
message: decisions whose horizon passed) and `end_run` (after a run: the watermark, the
leads it changed) are applied the same way. Every message moves the stored
offset on; a duplicate event id, a suppressed identity or an unreadable message writes
nothing else. An event forwarded to a merged identity's survivor is remembered as seen
where its copy is applied, not here. A scorer's own message (`leadpulse.kernel.messages`)
goes to the handler of its kind (`HANDLERS`); any other event is a behavior, applied to
its lead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog

from leadpulse.kernel.messages import (
    MESSAGE_TYPES,
    AccountInfo,
    AccountLost,
    AccountTouch,
    AccountVisit,
    Claim,
    Forget,
    Merge,
    Message,
    Stale,
    decode,
)
from leadpulse.kernel.schema import EventEnvelope, lead_id_for
from scorer.core.config import Rules
from scorer.core.facts import EventFacts, facts_of
from scorer.core.state import LeadState
from scorer.core.steps import Entry
from scorer.handlers.account_info import on_account_info
from scorer.handlers.account_returns import on_account_lost, on_account_visit
from scorer.handlers.account_touch import on_account_touch
from scorer.handlers.event import apply_event
from scorer.handlers.forget import on_forget
from scorer.handlers.horizon import pass_time, store_watermark
from scorer.handlers.identity import claim_message, on_claim, outranks, stable_id
from scorer.handlers.merge import apply_merge
from scorer.handlers.stale import apply_stale
from scorer.handlers.summary import flush_leads
from scorer.storage.effects import (
    CountEntry,
    Effect,
    EffectLog,
    Effects,
    MapIdentity,
    Publish,
    Seen,
    apply_effects,
)
from scorer.storage.keys import suppression_digest
from scorer.storage.view import Outbound, PartitionView
from scorer.storage.writes import WriteSet

__all__ = ["HANDLERS", "Outcome", "apply_message", "apply_time", "end_run"]

log = structlog.get_logger(__name__)

# applied | duplicate | suppressed | forwarded | looped | control | unreadable; the batch adds
# skipped and parked (dead-lettered, see `batch`).
Outcome = str

# (ws, view, rules, key, event, message): the message is of the kind the handler is listed
# under, so each handler takes its own record type.
Handler = Callable[[WriteSet, PartitionView, Rules, str, EventEnvelope, Any], None]
# (view, rules, key, event, message) -> what the message does, written by `apply_effects`
Decide = Callable[[PartitionView, Rules, str, EventEnvelope, Any], Effects]


def _writes(decide: Decide) -> Handler:
    def handler(
        ws: WriteSet, view: PartitionView, rules: Rules, key: str, event: EventEnvelope, m: Any
    ) -> None:
        apply_effects(decide(view, rules, key, event, m), view, ws)

    return handler


HANDLERS: dict[type[Message], Handler] = {
    Claim: _writes(lambda view, rules, key, event, m: on_claim(view, event, m)),
    Merge: _writes(lambda view, rules, key, event, m: apply_merge(view, event, m, rules)),
    Forget: _writes(lambda view, rules, key, event, m: on_forget(view, event, m, key)),
    AccountTouch: _writes(
        lambda view, rules, key, event, m: on_account_touch(view, event, m, rules)
    ),
    AccountInfo: _writes(lambda view, rules, key, event, m: on_account_info(m)),
    AccountLost: _writes(lambda view, rules, key, event, m: on_account_lost(view, m)),
    AccountVisit: _writes(
        lambda view, rules, key, event, m: on_account_visit(view, event, m, rules)
    ),
    Stale: _writes(
        lambda view, rules, key, event, m: apply_stale(view.leads.get(m.lead_id), event, m, rules)
    ),
}


def apply_time(
    ws: WriteSet, view: PartitionView, rules: Rules, event: EventEnvelope | None
) -> None:
    """Before a message: its time passes, closing the decisions whose horizon it passed."""
    apply_effects(pass_time(view, rules, event), view, ws)


def end_run(ws: WriteSet, view: PartitionView, rules: Rules) -> None:
    """After a run's messages: its watermark, and every lead it changed, saved once."""
    apply_effects(store_watermark(view.watermark), view, ws)
    apply_effects(flush_leads(view.dirty.values(), rules), view, ws)


def apply_message(
    view: PartitionView,
    rules: Rules,
    key: str,
    offset: int,
    event: EventEnvelope | None,
    ws: WriteSet | None = None,
) -> tuple[WriteSet, Outcome]:
    """Apply one message into `ws` (the run's WriteSet; a new one when None)."""
    ws = ws if ws is not None else WriteSet(view.pk)
    if event is None:
        ws.note(offset, None)
        return ws, "unreadable"
    if event.event_id in view.seen:
        ws.note(offset, None)
        return ws, "duplicate"
    if event.type not in MESSAGE_TYPES:
        outcome, effects = _apply_behavior(view, rules, key, event, offset)
        apply_effects(effects, view, ws)
        # A forwarded event is seen where its copy is applied, which may be this partition.
        forwarded = outcome in ("forwarded", "looped")
        ws.note(offset, event.event_id, dedupe=not forwarded)
        if not forwarded:
            view.seen.add(event.event_id)
        return ws, outcome
    ws.note(offset, event.event_id)
    view.seen.add(event.event_id)
    try:
        message = decode(event)
    except ValueError as exc:
        # Applied as a no-op, as a message missing what its handler needs always was.
        log.warning("message_unreadable", event_type=event.type, error=str(exc))
    else:
        HANDLERS[type(message)](ws, view, rules, key, event, message)
    return ws, "control"


def _identity_keys(key: str, event: EventEnvelope) -> list[str]:
    keys = [key]
    identities = event.identity.keys()
    for k in identities:
        if k not in keys:
            keys.append(k)
    if event.previous_id and event.previous_id not in keys:
        keys.append(event.previous_id)
    return keys


def _apply_behavior(
    view: PartitionView, rules: Rules, key: str, event: EventEnvelope, offset: int
) -> tuple[Outcome, Effects]:
    keys = _identity_keys(key, event)
    if view.suppressed and any(suppression_digest(k) in view.suppressed for k in keys):
        return "suppressed", Effects()
    identities = event.identity.keys()
    forwarded_in = key not in identities and key != event.previous_id
    # Also for an event forwarded here: a survivor merged into a stronger one passes it on.
    survivor = view.forwards.get(key)
    if survivor is not None:
        # One id per hop: a copy passed on again from this partition is another message.
        msg_id = stable_id("fwd", event.event_id, survivor)
        if msg_id in view.seen:
            # Passed on to this survivor once already and back again: forwards that form a
            # cycle (which merges only into stronger identities prevent) stop here.
            log.error("forward_loop", event_id=event.event_id, partition=view.pk.partition)
            return "looped", Effects()
        forward = Outbound(msg_id, "events", survivor, _raw(event))
        return "forwarded", Effects((Seen(offset, msg_id), Publish(forward)))
    facts = facts_of(event)
    state, known = _lead_of(view, rules, key, event, facts, keys, forwarded_in)
    effects = EffectLog()
    effects.extend(known)
    accounts, lost = view.accounts, view.lost_accounts
    apply_event(effects, state, rules, event, facts, keys, accounts=accounts, lost_accounts=lost)
    return "applied", effects.effects()


def _raw(event: EventEnvelope) -> bytes:
    from leadpulse.kernel.schema import encode

    return encode(event)


def _lead_of(
    view: PartitionView,
    rules: Rules,
    key: str,
    event: EventEnvelope,
    facts: EventFacts,
    keys: list[str],
    forwarded_in: bool,
) -> tuple[LeadState, Effects]:
    """The lead an event's identities name here (a new one if none), and what knowing it
    does: its identities mapped to it, claims sent for those that may live elsewhere."""
    own = view.identities.get(key)
    lead_id = own or next((view.identities[k] for k in keys if k in view.identities), None)
    state = view.leads.get(lead_id) if lead_id else None
    if state is not None and lead_id != own and not forwarded_in and outranks(key, state.keys):
        # A stronger identity than the lead found through a weaker one of the event's
        # (living on this partition too): a lead of its own, which claims the weaker one
        # as it would on any other partition. So the lead and its id do not depend on
        # whether the weaker identity was already claimed by someone else.
        lead_id, state = None, None
    effects: list[Effect] = []
    if state is None:
        lead_id = lead_id or lead_id_for(key)
        state = LeadState(lead_id=lead_id, created=facts.t, stage_at=facts.t, last_seen=facts.t)
        identified = facts.email is not None or any(not k.startswith("anon:") for k in keys)
        state.stage = "lead" if identified else "visitor"
        entry = Entry(state.stage, facts.t, "new", event.event_id)
        state.history = [entry._replace(source=facts.utm_source, campaign=facts.utm_campaign).raw()]
        effects.append(CountEntry(facts.t, state.stage, None, facts.utm_source, facts.utm_campaign))
    may_merge = facts.verified or not rules.config.require_verified_merge
    for k in keys:
        owner = view.identities.get(k)
        if owner == state.lead_id:
            continue
        if owner is None:
            effects.append(MapIdentity(k, state.lead_id))
        if k != key and not forwarded_in and may_merge and k not in view.forwards:
            claim = claim_message(k, key, state.lead_id, state.stage, facts.t, event.event_id)
            effects.append(Publish(claim))
    return state, Effects(tuple(effects))
