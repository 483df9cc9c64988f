"""A behavior or CRM event's handler: dropped, passed on, or decided for its lead.

A forgotten person's event is dropped; an event keyed by an identity merged into a
survivor is passed on to the survivor's partition unchanged. Any other is decided in one
call to the core (`core.behavior.decide_event`), with what the partition's view knows of
its identities: the lead they name (a new one when none does), the identities to map to
it, and the claims to send for those that may live on another partition.
"""

from __future__ import annotations

import structlog

from leadpulse.kernel.wire import Envelope, write_envelope
from scorer.core.behavior import decide_event
from scorer.core.config import Rules
from scorer.core.effects import Effects, Outbound, Publish, Seen
from scorer.core.identity import stable_id
from scorer.storage.keys import suppression_digest
from scorer.storage.view import PartitionReads

__all__ = ["on_event"]

log = structlog.get_logger(__name__)


def _identity_keys(key: str, identities: list[str], previous_id: str | None) -> list[str]:
    """The message's key first, then the event's identities and its previous anonymous id."""
    keys = [key]
    for k in identities:
        if k not in keys:
            keys.append(k)
    if previous_id and previous_id not in keys:
        keys.append(previous_id)
    return keys


def on_event(
    view: PartitionReads, rules: Rules, key: str, event: Envelope, offset: int
) -> tuple[str, Effects]:
    """The outcome (applied, suppressed, forwarded or looped: `dispatch.Outcome`) and the
    effects of one behavior or CRM event keyed `key`."""
    identities = event.identity.keys()
    keys = _identity_keys(key, identities, event.previous_id)
    if view.suppressed and any(suppression_digest(k) in view.suppressed for k in keys):
        return "suppressed", Effects()
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
        forward = Outbound(msg_id, "events", survivor, write_envelope(event))
        return "forwarded", Effects((Seen(offset, msg_id), Publish(forward)))
    effects = decide_event(
        event,
        key,
        keys,
        rules,
        forwarded_in=forwarded_in,
        leads=view.leads,
        identities=view.identities,
        forwards=view.forwards,
        accounts=view.accounts,
        lost_accounts=view.lost_accounts,
    )
    return "applied", effects
