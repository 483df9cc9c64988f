"""Identity across partitions: claims, merges and forwards, never a cross-partition lock.

An event keyed by its strongest identity (say `email:E`) that also carries a weaker one
living elsewhere (`anon:A`) makes this partition map `anon:A` to the lead and publish a
`claim` keyed `anon:A`. The scorer of `anon:A`'s partition then (1) snapshots the lead
`anon:A` had there (state and timeline) into a `merge` keyed `email:E`, (2) deletes it,
and (3) from then on forwards events keyed `anon:A` to `email:E` unchanged (same event id).
A forwarded event's id goes into the dedupe set of the partition that applies the copy,
never of the one passing it on: both identities may live on one partition, where the copy
would otherwise be dropped as its own duplicate. Copies published twice are dropped there
by that id. Claims, merges and forwards go through the outbox with ids derived
from the triggering event, so a crash or replay produces the same messages again and the
receiving partition's dedupe set drops the copies.

The anonymous side's events travel as the lead's `steps`: the survivor walks its stages
again over both sides' steps in event-time order (`restage`), so a demo requested while
the merge was under way still fast-passes the lead.

A claim that finds the identity already forwarded to another survivor is ignored: the
first person to claim a shared browser keeps its history.

A lead only ever merges into a stronger identity than any it holds (`outranks`: user id,
then email, CRM id, anonymous id; then the key's text), so forwards can never form a
cycle. A claim whose survivor is weaker than the claimed lead (a visitor who logged in with
a user id on the partition their anonymous id shares with it, claimed late by the email
they identified with before) is answered with the opposite claim: the survivor's lead
merges into this one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import orjson

from leadpulse.kernel.messages import Claim, Forget, Merge, Message, Snapshot, encode
from leadpulse.kernel.schema import Identity, identity_precedence
from scorer.core.effects import (
    DropIdentity,
    Effect,
    Effects,
    Forward,
    Outbound,
    Publish,
    RemoveLead,
)
from scorer.core.state import LeadState

__all__ = [
    "claim_message",
    "control_message",
    "forget_message",
    "hand_over",
    "identity_rank",
    "merge_message",
    "outranks",
    "stable_id",
]


def stable_id(kind: str, *parts: str) -> str:
    """The same parts give the same id. They are hashed as a JSON array, not joined with a
    separator: event ids and anonymous ids are the client's, and may hold any separator."""
    return f"{kind}:" + hashlib.blake2b(orjson.dumps(parts), digest_size=12).hexdigest()


def control_message(event_id: str, key: str, t: float, message: Message) -> Outbound:
    value = encode(message, event_id, Identity.from_key(key), t)
    return Outbound(event_id, "events", key, value)


def claim_message(
    claimed: str, survivor: str, survivor_lead: str, survivor_stage: str, t: float, trigger: str
) -> Outbound:
    claim = Claim(
        claimed=claimed,
        survivor=survivor,
        survivor_lead=survivor_lead,
        survivor_stage=survivor_stage,
    )
    return control_message(stable_id("claim", claimed, survivor_lead, trigger), claimed, t, claim)


def merge_message(claim_id: str, survivor: str, t: float, snapshot: Snapshot) -> Outbound:
    merge = Merge(survivor=survivor, snapshot=snapshot)
    return control_message(stable_id("merge", claim_id), survivor, t, merge)


def forget_message(key: str, parent: str, t: float) -> Outbound:
    return control_message(stable_id("forget", key, parent), key, t, Forget(cascade=True))


def identity_rank(key: str) -> tuple[int, str]:
    """Stronger first: user id, then email, CRM id, anonymous id; then the key's text."""
    return (identity_precedence(key), key)


def outranks(key: str, keys: list[str]) -> bool:
    """True when `key` is a stronger identity than every one of `keys`."""
    return all(identity_rank(key) < identity_rank(k) for k in keys)


def hand_over(
    claim: Claim,
    event_id: str,
    t: float,
    state: LeadState | None,
    timeline: Sequence[bytes],
    identities: Mapping[str, str],
) -> Effects:
    """A claim decided on the claimed identity's partition: the identity forwarded to its
    survivor from now on and the lead it named here (`state`, newest timeline entry last)
    sent there as a merge; or, when that lead is the stronger, the opposite
    claim. `identities`: the partition's mapped identities."""
    claimed, survivor = claim.claimed, claim.survivor
    others = [k for k in state.keys if k != survivor] if state is not None else []
    if state is not None and not outranks(survivor, others):
        # The claimed lead is the stronger: it claims the survivor instead.
        strongest = min(others, key=identity_rank)
        answer = claim_message(survivor, strongest, state.lead_id, state.stage, t, event_id)
        return Effects((Publish(answer),))
    effects: list[Effect] = [Forward(claimed, survivor)]
    if identities.get(claimed):
        effects.append(DropIdentity(claimed))
    if state is None:
        return Effects(tuple(effects))
    lines = tuple(entry.decode() for entry in timeline)
    snapshot = Snapshot(state=state.stored(), timeline=lines)
    effects += [
        Forward(key, survivor)
        for key in state.keys
        if key != claimed and identities.get(key) == state.lead_id
    ]
    # The funnel counts of its stage history travel with the snapshot: the merge takes
    # them back when it counts the joined history (`restage`).
    effects.append(RemoveLead(state))
    effects.append(Publish(merge_message(event_id, survivor, t, snapshot)))
    return Effects(tuple(effects))
