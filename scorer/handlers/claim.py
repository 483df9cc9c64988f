"""A claim's handler: the claimed identity handed to its survivor, with the lead it named.

How identity works across partitions (claims, merges, forwards, and why forwards never
form a cycle) is `scorer.core.identity`. Here the claimed identity's partition answers a
claim: it forwards the identity to the survivor from then on, and sends the lead it named
here (state and timeline) to the survivor's partition as a `merge`. A claim whose
survivor is weaker than the claimed lead is answered with the opposite claim.
"""

from __future__ import annotations

import orjson

from leadpulse.kernel.messages import Claim, Snapshot
from leadpulse.kernel.schema import EventEnvelope
from scorer.core.effects import (
    DropIdentity,
    Effect,
    Effects,
    Forward,
    Publish,
    RemoveLead,
)
from scorer.core.identity import claim_message, identity_rank, merge_message, outranks
from scorer.storage.view import PartitionReads

__all__ = ["on_claim"]


def on_claim(view: PartitionReads, event: EventEnvelope, claim: Claim) -> Effects:
    """Hand the claimed identity to its survivor, with the lead it named here (if any)."""
    claimed = claim.claimed
    survivor = claim.survivor
    survivor_lead = claim.survivor_lead
    t = event.timestamp.timestamp()
    if not claimed or not survivor or claimed in view.forwards:
        return Effects()
    lead_id = view.identities.get(claimed)
    if lead_id == survivor_lead:
        return Effects()  # the survivor lives on this partition and already holds the identity
    state = view.leads.get(lead_id) if lead_id else None
    others = [k for k in state.keys if k != survivor] if state is not None else []
    if state is not None and not outranks(survivor, others):
        # The claimed lead is the stronger: it claims the survivor instead.
        strongest = min(others, key=identity_rank)
        answer = claim_message(survivor, strongest, state.lead_id, state.stage, t, event.event_id)
        return Effects((Publish(answer),))
    effects: list[Effect] = [Forward(claimed, survivor)]
    if lead_id and view.identities.get(claimed) == lead_id:
        effects.append(DropIdentity(claimed))
    if state is None:
        return Effects(tuple(effects))
    entries = [*view.timelines.get(state.lead_id, ()), *view.added.get(state.lead_id, ())]
    timeline = [entry.decode() for entry in entries]
    snapshot = Snapshot(lead=orjson.loads(state.dumps()), timeline=tuple(timeline))
    effects += [
        Forward(key, survivor)
        for key in state.keys
        if key != claimed and view.identities.get(key) == state.lead_id
    ]
    # The funnel counts of its stage history travel with the snapshot: the merge takes
    # them back when it counts the joined history (`restage`).
    effects.append(RemoveLead(state))
    effects.append(Publish(merge_message(event.event_id, survivor, t, snapshot)))
    return Effects(tuple(effects))
