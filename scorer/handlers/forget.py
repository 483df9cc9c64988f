"""Forgetting a person (`DELETE /v1/leads/{id}`): state, identities, timeline here; the
identities that live elsewhere are sent the same request."""

from __future__ import annotations

from leadpulse.kernel.messages import Forget
from leadpulse.kernel.wire import Envelope
from scorer.core.effects import (
    CountExit,
    DropForward,
    DropIdentity,
    Effect,
    Effects,
    Publish,
    RemoveLead,
    Suppress,
)
from scorer.core.identity import forget_message
from scorer.storage.view import PartitionReads

__all__ = ["on_forget"]


def on_forget(view: PartitionReads, event: Envelope, forget: Forget, key: str) -> Effects:
    """Forget a person: state, identities, timeline here; cascade to identities elsewhere."""
    t = event.timestamp.timestamp()
    keys = {key, *event.identity.keys(), *forget.identities}
    lead_id = next((view.identities[k] for k in keys if k in view.identities), None)
    state = view.leads.get(lead_id) if lead_id else None
    effects: list[Effect] = []
    removed: set[str] = set()  # identities removing the lead drops with it
    if state is not None:
        keys |= set(state.keys)
        effects += [CountExit(t, state.stage), RemoveLead(state)]
        removed = {k for k in state.keys if view.identities.get(k) == state.lead_id}
    for k in sorted(keys):
        effects.append(Suppress(k))
        if k in view.forwards:
            effects.append(DropForward(k))
        if view.identities.get(k) is not None and k not in removed:
            effects.append(DropIdentity(k))
        if not forget.cascade and k != key:
            effects.append(Publish(forget_message(k, event.event_id, t)))
    return Effects(tuple(effects))
