"""A behavior or CRM event's handler: the lead its identities name, then the event decided.

The event's identities find its lead in the partition's view (a new lead when none does);
each identity of the event not yet mapped here is mapped to it, and one that may live on
another partition is claimed there (`identity.claim_message`). An identity merged into a
survivor forwards the event to the survivor's partition instead; a forgotten person's
event is dropped. What the event does to its lead is the core's (`core.behavior`).
"""

from __future__ import annotations

import structlog

from leadpulse.kernel.schema import EventEnvelope, encode, lead_id_for
from scorer.core.behavior import apply_event
from scorer.core.config import Rules
from scorer.core.effects import (
    CountEntry,
    Effect,
    EffectLog,
    Effects,
    MapIdentity,
    Outbound,
    Publish,
    Seen,
)
from scorer.core.facts import EventFacts, facts_of
from scorer.core.state import LeadState
from scorer.core.steps import Entry
from scorer.handlers.identity import claim_message, outranks, stable_id
from scorer.storage.keys import suppression_digest
from scorer.storage.view import PartitionReads

__all__ = ["on_event"]

log = structlog.get_logger(__name__)


def _identity_keys(key: str, event: EventEnvelope) -> list[str]:
    keys = [key]
    identities = event.identity.keys()
    for k in identities:
        if k not in keys:
            keys.append(k)
    if event.previous_id and event.previous_id not in keys:
        keys.append(event.previous_id)
    return keys


def on_event(
    view: PartitionReads, rules: Rules, key: str, event: EventEnvelope, offset: int
) -> tuple[str, Effects]:
    """A behavior or CRM event: its lead found (or made) from its identities, the event
    decided for it (`core.behavior.apply_event`); or passed on to a merged identity's
    survivor, or dropped for a forgotten person. The outcome: applied, suppressed,
    forwarded or looped (`dispatch.Outcome`)."""
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
