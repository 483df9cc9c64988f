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

from leadpulse.kernel.messages import Claim, Forget, Merge, Message, Snapshot, encode
from leadpulse.kernel.schema import Identity, identity_precedence
from scorer.core.effects import Outbound

__all__ = [
    "claim_message",
    "control_message",
    "forget_message",
    "identity_rank",
    "merge_message",
    "outranks",
    "stable_id",
]


def stable_id(kind: str, *parts: str) -> str:
    return f"{kind}:" + hashlib.blake2b("|".join(parts).encode(), digest_size=12).hexdigest()


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
