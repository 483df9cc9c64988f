"""Apply one Kafka message to its partition's view: the single entry point of the logic.

A message is decided first, then written. `decide` reads the view and returns the
message's whole `Decision`: the time it passes (decisions whose horizon it passed), what its
handler decides, and the move of the stored offset. Then one `apply_effects` records the
effects in the run's WriteSet, which `lua/apply.lua` executes atomically with the
partition's offset and dedupe set, and in the view, which the batch's later messages read.
`end_run` (after a run: the watermark, the leads it changed) is decided and applied the same
way. Every message moves the stored offset on; a duplicate event id, a suppressed identity
or an unreadable message writes nothing else. An event forwarded to a merged identity's
survivor is remembered as seen where its copy is applied, not here. A scorer's own message
(`leadpulse.kernel.messages`) goes to the handler of its kind (`HANDLERS`); any other event
is a behavior, applied to its lead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

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
from scorer.core.effects import (
    CountEntry,
    Effect,
    EffectLog,
    Effects,
    MapIdentity,
    MoveOffset,
    Outbound,
    Publish,
    Seen,
)
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
from scorer.storage.effects import apply_effects
from scorer.storage.keys import suppression_digest
from scorer.storage.view import PartitionReads, PartitionView
from scorer.storage.writes import WriteSet

__all__ = ["HANDLERS", "Decision", "Outcome", "apply_message", "decide", "end_run"]

log = structlog.get_logger(__name__)

# applied | duplicate | suppressed | forwarded | looped | control | unreadable; the batch adds
# skipped and parked (dead-lettered, see `batch`).
Outcome = str

# (view, rules, key, event, message) -> what the message does; the message is of the kind
# the handler is listed under, so each handler takes its own record type.
Handler = Callable[[PartitionReads, Rules, str, EventEnvelope, Any], Effects]

HANDLERS: dict[type[Message], Handler] = {
    Claim: lambda view, rules, key, event, m: on_claim(view, event, m),
    Merge: lambda view, rules, key, event, m: apply_merge(view, event, m, rules),
    Forget: lambda view, rules, key, event, m: on_forget(view, event, m, key),
    AccountTouch: lambda view, rules, key, event, m: on_account_touch(view, event, m, rules),
    AccountInfo: lambda view, rules, key, event, m: on_account_info(m),
    AccountLost: lambda view, rules, key, event, m: on_account_lost(view, m),
    AccountVisit: lambda view, rules, key, event, m: on_account_visit(view, event, m, rules),
    Stale: lambda view, rules, key, event, m: apply_stale(
        view.leads.get(m.lead_id), event, m, rules
    ),
}


class Decision(NamedTuple):
    """What one message does: how it ended, and its effects in the order decided."""

    outcome: Outcome
    effects: Effects


def decide(
    view: PartitionReads,
    rules: Rules,
    key: str,
    offset: int,
    event: EventEnvelope | None,
) -> Decision:
    """One message's whole decision: the time it passes closes the decisions whose horizon
    it passed (`horizon.pass_time`), then the message itself. Writes nothing, neither the
    view nor a WriteSet; the leads it changes are its values (`KeepLead` has them saved)."""
    passed = pass_time(view, rules, event).items
    if event is None:
        return Decision("unreadable", Effects((*passed, MoveOffset(offset, None))))
    if event.event_id in view.seen:
        return Decision("duplicate", Effects((*passed, MoveOffset(offset, None))))
    if event.type not in MESSAGE_TYPES:
        outcome, effects = _decide_behavior(view, rules, key, event, offset)
        # A forwarded event is seen where its copy is applied, which may be this partition.
        forwarded = outcome in ("forwarded", "looped")
        moved = MoveOffset(offset, event.event_id, not forwarded)
        return Decision(outcome, Effects((*passed, *effects.items, moved)))
    moved = MoveOffset(offset, event.event_id)
    try:
        message = decode(event)
    except ValueError as exc:
        # Applied as a no-op, as a message missing what its handler needs always was.
        log.warning("message_unreadable", event_type=event.type, error=str(exc))
        return Decision("control", Effects((*passed, moved)))
    handled = HANDLERS[type(message)](view, rules, key, event, message)
    return Decision("control", Effects((*passed, moved, *handled.items)))


def apply_message(
    view: PartitionView,
    rules: Rules,
    key: str,
    offset: int,
    event: EventEnvelope | None,
    ws: WriteSet | None = None,
) -> tuple[WriteSet, Outcome]:
    """Decide one message, then write its effects into `ws` (the run's WriteSet; a new one
    when None) and the view, in one `apply_effects`."""
    ws = ws if ws is not None else WriteSet(view.pk)
    decision = decide(view, rules, key, offset, event)
    apply_effects(decision.effects, view, ws)
    return ws, decision.outcome


def end_run(ws: WriteSet, view: PartitionView, rules: Rules) -> None:
    """After a run's messages: its watermark, and every lead it changed, saved once."""
    effects = store_watermark(view.watermark) + flush_leads(view.dirty.values(), rules)
    apply_effects(effects, view, ws)


def _identity_keys(key: str, event: EventEnvelope) -> list[str]:
    keys = [key]
    identities = event.identity.keys()
    for k in identities:
        if k not in keys:
            keys.append(k)
    if event.previous_id and event.previous_id not in keys:
        keys.append(event.previous_id)
    return keys


def _decide_behavior(
    view: PartitionReads, rules: Rules, key: str, event: EventEnvelope, offset: int
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
    apply_event(effects, state, rules, facts, keys, accounts=accounts, lost_accounts=lost)
    return "applied", effects.effects()


def _raw(event: EventEnvelope) -> bytes:
    from leadpulse.kernel.schema import encode

    return encode(event)


def _lead_of(
    view: PartitionReads,
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
