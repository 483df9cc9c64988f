"""A merge's handler: the lead a claimed identity named elsewhere, joined to its survivor here.

The survivor's lead is decided on (`core.merge.merge_leads`); a survivor itself merged
into a stronger identity meanwhile passes the history on; a forgotten survivor's merged
history goes with it.
"""

from __future__ import annotations

from leadpulse.kernel.messages import Merge
from leadpulse.kernel.wire import Envelope
from scorer.core.config import Rules
from scorer.core.effects import CountExit, Effects, Publish
from scorer.core.identity import merge_message
from scorer.core.merge import load_snapshot, merge_leads
from scorer.storage.view import PartitionReads

__all__ = ["apply_merge"]


def apply_merge(view: PartitionReads, event: Envelope, merge: Merge, rules: Rules) -> Effects:
    """Join a merged-away lead into the survivor; its stages are walked again from both."""
    survivor = merge.survivor
    lead_id = view.identities.get(survivor)
    state = view.leads.get(lead_id) if lead_id else None
    t = event.timestamp.timestamp()
    if state is None and survivor in view.forwards:
        # The survivor was itself merged into a stronger identity: pass the history on.
        onward = view.forwards[survivor]
        return Effects((Publish(merge_message(event.event_id, onward, t, merge.snapshot)),))
    if state is None:
        # The survivor was forgotten meanwhile: its merged history goes with it.
        return Effects((CountExit(t, load_snapshot(merge.snapshot).stage),))
    return merge_leads(state, merge.snapshot, t, rules, view.identities)
