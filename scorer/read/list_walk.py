"""Walking the list index's sorted sets from the top, across partitions and stages.

A `Cursor` is one sorted set of one partition, read top down in chunks (ZREVRANGE). A
`Walk` pipelines one round of chunks for many cursors and fetches the summaries of the
leads it names (HMGET of the partition's summary hash), computing each row once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from leadpulse.kernel.valkey import Valkey
from scorer.core.decay import value_at
from scorer.core.save import summary_fields
from scorer.storage.keys import PartitionKeys
from scorer.storage.list_index import engagement_at, key_margin, key_of

__all__ = ["Cursor", "Part", "Walk", "index_rows", "iso", "member_text", "summary_row"]

# |round(x, 2) - x| <= 0.005, plus room for a float's rounding of a sum
ROUNDING = 0.006


def iso(t: float | None) -> str | None:
    return datetime.fromtimestamp(t, UTC).isoformat() if t is not None else None


def summary_row(lead_id: str, raw: bytes, now: float) -> dict[str, Any]:
    """A lead summary as the list shows it: engagement decayed to `now`, times in ISO."""
    row = summary_fields(lead_id, raw)
    stored, anchor, half_life = row.pop("e")
    engagement = value_at(stored, anchor, now, half_life)
    row["score"] = round(engagement + row["fit"], 2)
    row["engagement"] = round(engagement, 2)
    for name in ("stage_at", "last_seen", "created", "paused_until"):
        row[name] = iso(row.get(name))
    row["nurture_paused_until"] = row.pop("paused_until")
    row.setdefault("p_convert", None)  # the predictive score, once a model is live
    return row


def index_rows(index: Mapping[Any, bytes], now: float) -> list[dict[str, Any]]:
    """The rows of one partition's whole list index, as HGETALL replies it."""
    return [summary_row(member_text(lead_id), raw, now) for lead_id, raw in index.items()]


def member_text(value: Any) -> str:
    """A sorted-set member or hash field as text (Valkey replies bytes)."""
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass(frozen=True, slots=True)
class Part:
    """One partition as the walk sees it."""

    pk: PartitionKeys


@dataclass(slots=True)
class Cursor:
    """One sorted set of one partition, read from the top down.

    An engagement set's leads share a fit and a half-life; a time set uses neither.
    """

    part: Part
    key: str
    size: int
    chunk: int
    fit: float = 0.0
    half_life: float = 30.0
    items: list[tuple[float, str]] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return len(self.items) >= self.size

    @property
    def last(self) -> tuple[float, str] | None:
        return self.items[-1] if self.items else None

    def score_bound(self, now: float) -> float:
        """An upper bound on the shown score at `now` of any lead not read yet."""
        return self.shown_score(self.items[-1][0], now)[1] if self.items else math.inf

    def shown_score(self, key: float, now: float) -> tuple[float, float]:
        """Bounds on the score shown at `now` for a lead of this set with this key."""
        low = engagement_at(key - key_margin(key), now, self.half_life)
        high = engagement_at(key + key_margin(key), now, self.half_life)
        return low + self.fit - ROUNDING, high + self.fit + ROUNDING

    def score_key(self, min_score: float, now: float, widen: float) -> float:
        """The key of the engagement giving this set's leads a score of `min_score`."""
        key = key_of(min_score - self.fit, now, self.half_life)
        return key + widen * key_margin(key)


class Walk:
    """Rounds of chunk reads over cursors, and the rows of the leads they name."""

    def __init__(self, redis: Valkey, now: float) -> None:
        self.redis = redis
        self.now = now
        # (partition, lead id) -> its row, or None: gone since its index entry was read
        self.rows: dict[tuple[int, str], dict[str, Any] | None] = {}

    async def advance(self, cursors: list[Cursor], cap: int | None = None) -> None:
        """Read the next chunk of each cursor (doubling its chunk for the next round)."""
        pipe = self.redis.pipeline(transaction=False)
        counts = []
        for cur in cursors:
            start = len(cur.items)
            counts.append(cur.chunk if cap is None else min(cur.chunk, cap - start))
            pipe.zrevrange(cur.key, start, start + counts[-1] - 1, withscores=True)
            cur.chunk *= 2
        replies = await pipe.execute()
        for cur, count, reply in zip(cursors, counts, replies, strict=True):
            cur.items += [(float(score), member_text(member)) for member, score in reply]
            if len(reply) < count:
                cur.size = len(cur.items)  # it shrank since it was counted

    async def load(self, wanted: list[tuple[Part, str]]) -> None:
        """Fetch the rows of these leads that are not loaded yet, one HMGET per partition."""
        by_part: dict[int, tuple[Part, list[str]]] = {}
        for part, lead_id in wanted:
            if (part.pk.partition, lead_id) not in self.rows:
                by_part.setdefault(part.pk.partition, (part, []))[1].append(lead_id)
        if not by_part:
            return
        pipe = self.redis.pipeline(transaction=False)
        for part, ids in by_part.values():
            pipe.hmget(part.pk.index, ids)
        for (part, ids), raws in zip(by_part.values(), await pipe.execute(), strict=True):
            for lead_id, raw in zip(ids, raws, strict=True):
                row = summary_row(lead_id, raw, self.now) if raw is not None else None
                self.rows[(part.pk.partition, lead_id)] = row

    def row(self, part: Part, lead_id: str) -> dict[str, Any] | None:
        return self.rows.get((part.pk.partition, lead_id))
