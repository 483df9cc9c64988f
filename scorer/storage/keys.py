"""The Valkey key layout. Every key of Kafka partition N is `lp:{pN}:...`.

The `{pN}` hash tag puts all of a partition's keys in one hash slot, so one Lua script can
update lead state, the applied offset, the dedupe set and the outbox atomically, on a single
node or a cluster. Anything that spans partitions (funnel, accounts, lead lookups) is sharded
the same way and summed on read. The suppression list of forgotten identities is one global
set of digests (never raw emails), read by ingest in one round trip.

    lp:{pN}:offset          last applied offset of partition N (string)
    lp:{pN}:seen            zset event_id -> offset: dedupe window of applied event ids
    lp:{pN}:mark            "<offset> <event id>" of the last applied message (log identity)
    lp:{pN}:outbox          hash message id -> [topic, key] JSON, newline, value: unpublished
    lp:{pN}:id              hash identity key -> lead id (identities living here)
    lp:{pN}:fwd             hash identity key -> survivor identity key (merged away)
    lp:{pN}:lead:<id>       the lead's state (JSON, zstd-compressed: scorer.core.state_codec)
                            with its newest steps (scorer.core.state_layout)
    lp:{pN}:past:<id>       a long-lived lead's older steps (JSON list, compressed the same)
    lp:{pN}:tl:<id>         list: timeline entries kept apart by earlier versions, newest
                            first (a lead's steps carry its timeline: `core.timeline`)
    lp:{pN}:sh:<id>         list: score history points [at, total] kept apart by earlier
                            versions, newest first (steps carry them: `core.timeline`)
    lp:{pN}:ix              hash lead id -> summary, a JSON array of its values (lists,
                            filters, sorting: scorer.core.save.stored_summary)
    lp:{pN}:acct:<acct>     hash lead id -> "1": the account's people here (summaries: ix)
    lp:{pN}:ls:<stage>:s:<fit>:<hl>  zset lead id -> engagement key, per stage, fit, half-life
    lp:{pN}:ls:<stage>:r    zset lead id -> last seen (us), per stage (scorer.storage.list_index)
    lp:{pN}:ls:<stage>:c    zset lead id -> created (us), per stage
    lp:{pN}:lsn             hash "stage|consideration|fit|hl" -> leads listed so
    lp:{pN}:ag:<acct>       zset lead id -> last engaged time (buying group, account owner)
    lp:{pN}:agf:<acct>      time the last buying_group alert fired for the account
    lp:{pN}:accts           hash account id or domain -> account JSON (id, traits, at), from group
    lp:{pN}:acctv           zset account id or domain -> when its record last changed
    lp:{pN}:sla             zset "lead|kind|since" -> deadline (epoch seconds)
    lp:{pN}:recent          list: latest stage changes, newest first, capped
    lp:{pN}:f:flow          hash "day|stage" -> entries
    lp:{pN}:f:tr            hash "day|from|to" -> transitions
    lp:{pN}:f:bal           hash "day|stage" -> balance delta
    lp:{pN}:f:src           hash "day|stage|utm_source" -> entries
    lp:{pN}:f:cmp           hash "day|stage|utm_campaign" -> entries
    lp:suppressed           set of blake2b digests of forgotten identity keys
"""

from __future__ import annotations

import hashlib

__all__ = ["META", "SUPPRESSED", "PartitionKeys", "suppression_digest"]

SUPPRESSED = "lp:suppressed"
# hash: partitions, account_score (sum|max): what the read path needs from the config
META = "lp:meta"


def suppression_digest(identity_key: str) -> str:
    return hashlib.blake2b(identity_key.encode(), digest_size=16).hexdigest()


class PartitionKeys:
    """Key names of one partition."""

    __slots__ = (
        "account_changes",
        "accounts",
        "acct_prefix",
        "fwd",
        "horizon",
        "identities",
        "index",
        "listing_sizes",
        "lost_accounts",
        "mark",
        "offset",
        "outbox",
        "partition",
        "prefix",
        "recent",
        "seen",
        "sla",
        "watermark",
    )

    def __init__(self, partition: int) -> None:
        self.partition = partition
        self.prefix = f"lp:{{p{partition}}}:"
        self.offset = self.prefix + "offset"
        self.seen = self.prefix + "seen"
        self.mark = self.prefix + "mark"
        self.outbox = self.prefix + "outbox"
        self.identities = self.prefix + "id"
        self.fwd = self.prefix + "fwd"
        self.index = self.prefix + "ix"
        self.sla = self.prefix + "sla"
        # the predictive score's open decisions by deadline, and the event-time watermark
        self.horizon = self.prefix + "hz"
        self.watermark = self.prefix + "wm"
        self.recent = self.prefix + "recent"
        self.acct_prefix = self.prefix + "acct:"
        # hash account -> its lost deal (when, who lost it, visits since), on its partition
        self.lost_accounts = self.prefix + "lost"
        self.listing_sizes = self.prefix + "lsn"
        self.accounts = self.prefix + "accts"
        self.account_changes = self.prefix + "acctv"

    def lead(self, lead_id: str) -> str:
        return f"{self.prefix}lead:{lead_id}"

    def past(self, lead_id: str) -> str:
        """A long-lived lead's older steps, apart from its state (`state_layout`)."""
        return f"{self.prefix}past:{lead_id}"

    def timeline(self, lead_id: str) -> str:
        return f"{self.prefix}tl:{lead_id}"

    def score_history(self, lead_id: str) -> str:
        return f"{self.prefix}sh:{lead_id}"

    def listing(self, stage: str, sort: str) -> str:
        """A stage's list index by time; sort: r (last seen), c (created)."""
        return f"{self.prefix}ls:{stage}:{sort}"

    def listing_score(self, stage: str, fit: float, half_life_days: float) -> str:
        """The list index by engagement of a stage's leads with this fit and half-life."""
        return f"{self.prefix}ls:{stage}:s:{fit!r}:{half_life_days!r}"

    def account(self, account: str) -> str:
        return f"{self.prefix}acct:{account}"

    def buying_group(self, account: str) -> str:
        return f"{self.prefix}ag:{account}"

    def buying_group_fired(self, account: str) -> str:
        return f"{self.prefix}agf:{account}"

    def funnel(self, kind: str) -> str:
        """kind: flow, tr, bal, src, cmp."""
        return f"{self.prefix}f:{kind}"
