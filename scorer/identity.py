"""Identity across partitions: claims, merges and forwards, never a cross-partition lock.

An event keyed by its strongest identity (say `email:E`) that also carries a weaker one
living elsewhere (`anon:A`) makes this partition map `anon:A` to the lead and publish a
`claim` keyed `anon:A`. The scorer of `anon:A`'s partition then (1) snapshots the lead
`anon:A` had there (state and timeline) into a `merge` keyed `email:E`, (2) deletes it,
and (3) from then on forwards events keyed `anon:A` to `email:E` unchanged (same event id,
so a replay dedupes). Claims, merges and forwards go through the outbox with ids derived
from the triggering event, so a crash or replay produces the same messages again and the
receiving partition's dedupe set drops the copies.

The anonymous side's events travel as the lead's `steps`: the survivor walks its stages
again over both sides' steps in event-time order (`restage`), so a demo requested while
the merge was under way still fast-passes the lead.

A claim that finds the identity already forwarded to another survivor is ignored: the
first person to claim a shared browser keeps its history.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from leadpulse.schema import EventEnvelope, EventType, Identity, control_event
from scorer.context import Outbound, PartitionView, queue_outbound
from scorer.writes import WriteSet

__all__ = [
    "claim_message",
    "control_message",
    "forget_message",
    "merge_message",
    "stable_id",
]


def stable_id(kind: str, *parts: str) -> str:
    return f"{kind}:" + hashlib.blake2b("|".join(parts).encode(), digest_size=12).hexdigest()


def control_message(
    event_id: str, kind: EventType, key: str, t: float, control: dict[str, Any]
) -> Outbound:
    value = control_event(event_id, kind, Identity.from_key(key), t, control)
    return Outbound(event_id, "events", key, value)


def claim_message(
    claimed: str, survivor: str, survivor_lead: str, survivor_stage: str, t: float, trigger: str
) -> Outbound:
    control = {
        "claimed": claimed,
        "survivor": survivor,
        "survivor_lead": survivor_lead,
        "survivor_stage": survivor_stage,
    }
    return control_message(
        stable_id("claim", claimed, survivor_lead, trigger), "claim", claimed, t, control
    )


def merge_message(claim_id: str, survivor: str, t: float, snapshot: dict[str, Any]) -> Outbound:
    control = {"survivor": survivor, "snapshot": snapshot}
    return control_message(stable_id("merge", claim_id), "merge", survivor, t, control)


def forget_message(key: str, parent: str, t: float) -> Outbound:
    return control_message(stable_id("forget", key, parent), "forget", key, t, {"cascade": True})


def apply_claim(ws: WriteSet, view: PartitionView, event: EventEnvelope, rules: Any) -> None:
    from scorer.summary import remove_lead

    control = event.control or {}
    claimed = str(control.get("claimed", ""))
    survivor = str(control.get("survivor", ""))
    survivor_lead = str(control.get("survivor_lead", ""))
    t = event.timestamp.timestamp()
    if not claimed or not survivor or claimed in view.forwards:
        return
    lead_id = view.identities.get(claimed)
    if lead_id == survivor_lead:
        return  # the survivor lives on this partition and already holds the identity
    state = view.leads.get(lead_id) if lead_id else None
    view.forwards[claimed] = survivor
    ws.hset(view.pk.fwd, claimed, survivor)
    if lead_id and view.identities.get(claimed) == lead_id:
        ws.hdel(view.pk.identities, claimed)
        view.identities.pop(claimed, None)
    if state is None:
        return
    entries = view.timelines.get(state.lead_id, []) + view.added.get(state.lead_id, [])
    timeline = [entry.decode() for entry in entries]
    snapshot = {"lead": orjson.loads(state.dumps()), "timeline": timeline}
    for key in state.keys:
        if key != claimed and view.identities.get(key) == state.lead_id:
            view.forwards[key] = survivor
            ws.hset(view.pk.fwd, key, survivor)
    # The funnel counts of its stage history travel with the snapshot: the merge takes
    # them back when it counts the joined history (`restage`).
    remove_lead(ws, view, state)
    queue_outbound(view, ws, merge_message(event.event_id, survivor, t, snapshot))
