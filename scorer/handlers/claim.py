"""A claim's handler: the claimed identity handed to its survivor, with the lead it named.

How identity works across partitions (claims, merges, forwards, and why forwards never
form a cycle) is `scorer.core.identity`. Here the claimed identity's partition reads what
it holds of the identity, and the core decides the claim (`core.identity.hand_over`): the
identity forwarded to the survivor from then on, and the lead it named here (its state,
which carries its timeline) sent to the survivor's partition as a `merge`; or, when the
claimed lead is the stronger, the opposite claim.
"""

from __future__ import annotations

from leadpulse.kernel.messages import Claim
from leadpulse.kernel.wire import Envelope
from scorer.core.effects import Effects
from scorer.core.identity import hand_over
from scorer.storage.view import PartitionReads

__all__ = ["on_claim"]


def on_claim(view: PartitionReads, event: Envelope, claim: Claim) -> Effects:
    """Hand the claimed identity to its survivor, with the lead it named here (if any)."""
    if not claim.claimed or not claim.survivor or claim.claimed in view.forwards:
        return Effects()
    lead_id = view.identities.get(claim.claimed)
    if lead_id == claim.survivor_lead:
        return Effects()  # the survivor lives on this partition and already holds the identity
    state = view.leads.get(lead_id) if lead_id else None
    # The lead's steps carry its timeline; a lead stored by an earlier version may also
    # have entries kept apart.
    entries = view.timelines.get(state.lead_id, ()) if state is not None else ()
    t = event.timestamp.timestamp()
    return hand_over(claim, event.event_id, t, state, entries, view.identities)
