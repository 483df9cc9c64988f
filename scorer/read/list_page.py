"""A page of the leads list, read from the list index: the same page a full scan would give.

A full scan decays, filters and sorts every lead's summary. Here:
- sort by time (recent, created): the stage's sorted sets of every partition hold the
  exact order; a k-way merge of their tops gives the page; `listing_sizes` the total.
- sort by score: within one engagement set (stage, fit, half-life) the key orders leads
  by score. Walk every set from its top, deeper only while its next lead could still
  reach the page's last row.
- min_score: per engagement set a ZCOUNT above the key of `min_score - fit`; only the
  few leads within rounding of the cut are read to decide.
- consideration: no set of its own; `listing_sizes` counts it per set (the total, and
  which sets can hold a match), and the candidates read are filtered by it.
Every candidate's row is computed from its summary exactly as the scan does; keys only
bound which leads to read. A partition whose index does not cover its summaries (written
before the index existed: run `leadpulse rescore`) is read by a full scan instead.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import Any, TypeGuard

from leadpulse.kernel.valkey import Valkey
from scorer.read.list_walk import ROUNDING, Cursor, Part, Walk, index_rows, member_text
from scorer.storage.keys import PartitionKeys
from scorer.storage.list_index import parse_slot

__all__ = ["ListQuery", "list_page", "sort_rows"]

Row = dict[str, Any]
_CODE = {"score": "s", "recent": "r", "last_seen": "r", "created": "c"}


def sort_rows(rows: list[Row], sort: str) -> None:
    """The list's order: the field, highest first (None last), then lead id, highest first."""
    name = "last_seen" if sort == "recent" else sort
    rows.sort(key=lambda r: (r[name] is not None, r[name] or 0, r["lead_id"]), reverse=True)


@dataclass(frozen=True, slots=True)
class ListQuery:
    stage: str | None = None
    min_score: float | None = None
    consideration: str | None = None
    sort: str = "score"
    offset: int = 0
    limit: int = 50

    @property
    def end(self) -> int:
        return self.offset + self.limit

    def keeps(self, row: Row | None) -> TypeGuard[Row]:
        return (
            row is not None
            and (self.stage is None or row["stage"] == self.stage)
            and (self.consideration is None or row["consideration"] == self.consideration)
            and (self.min_score is None or row["score"] >= self.min_score)
        )


# (partition, stage, consideration, fit, half-life, leads)
Slot = tuple[Part, str, str | None, float, float, int]


async def _survey(redis: Valkey, pks: list[PartitionKeys]) -> tuple[list[Part], list[Slot], bool]:
    """Each partition's index counts, and whether the index lists all its leads."""
    pipe = redis.pipeline(transaction=False)
    for pk in pks:
        pipe.hlen(pk.index)
        pipe.hgetall(pk.listing_sizes)
    replies = await pipe.execute()
    parts: list[Part] = []
    slots: list[Slot] = []
    whole = True
    for n, pk in enumerate(pks):
        hlen, sizes = replies[2 * n : 2 * n + 2]
        part = Part(pk)
        parts.append(part)
        listed = 0
        for field, count in sorted(sizes.items()):
            if int(count) > 0:
                slots.append((part, *parse_slot(member_text(field)), int(count)))
                listed += int(count)
        whole = whole and listed == int(hlen)
    return parts, slots, whole


def _engagement_sets(slots: list[Slot], consideration: str | None) -> list[tuple[Cursor, int]]:
    """Each engagement set as a cursor, with how many of its leads have `consideration`."""
    sets: dict[tuple[int, str, float, float], tuple[Cursor, list[int]]] = {}
    for part, stage, held, fit, hl, n in slots:
        at = (part.pk.partition, stage, fit, hl)
        if at not in sets:
            cursor = Cursor(part, part.pk.listing_score(stage, fit, hl), 0, 16, fit, hl)
            sets[at] = (cursor, [0])
        cursor, wanted = sets[at]
        cursor.size += n
        wanted[0] += n if consideration is None or held == consideration else 0
    return [(cursor, wanted[0]) for cursor, wanted in sets.values()]


async def list_page(
    redis: Valkey, pks: list[PartitionKeys], query: ListQuery, now: float
) -> tuple[list[Row], int]:
    """(the page's rows, how many leads match) for `query` at time `now`."""
    parts, slots, whole = await _survey(redis, pks)
    slots = [s for s in slots if query.stage is None or s[1] == query.stage]
    walk = Walk(redis, now)
    sets = _engagement_sets(slots, query.consideration)
    if not whole or (query.consideration is not None and query.min_score is not None):
        rows = await _scan(walk, parts, [cur for cur, _ in sets] if whole else None, query)
        return rows[query.offset : query.end], len(rows)
    if query.sort == "score":
        return await _by_score(walk, sets, query)
    return await _by_time(walk, sets, slots, query)


async def _scan(
    walk: Walk, parts: list[Part], cursors: list[Cursor] | None, query: ListQuery
) -> list[Row]:
    """Every candidate's row, filtered and sorted: from these engagement sets if given."""
    pipe = walk.redis.pipeline(transaction=False)
    if cursors is None or (query.stage is None and query.min_score is None):
        for part in parts:
            pipe.hgetall(part.pk.index)
        shards = await pipe.execute()
        every = [row for shard in shards for row in index_rows(shard, walk.now)]
        rows = [row for row in every if query.keeps(row)]
    else:
        for cur in cursors:
            low = _low_key(cur, query.min_score, walk.now)
            pipe.zrangebyscore(cur.key, _bound(low), "+inf")
        replies = await pipe.execute() if cursors else []
        found = _members(cursors, replies)
        await walk.load(found)
        rows = [row for part, lead_id in found if query.keeps(row := walk.row(part, lead_id))]
    sort_rows(rows, query.sort)
    return rows


def _members(cursors: list[Cursor], replies: list[Any]) -> list[tuple[Part, str]]:
    """(partition, lead id) of every member each cursor's set replied with."""
    pairs = zip(cursors, replies, strict=True)
    return [(cur.part, member_text(m)) for cur, members in pairs for m in members]


def _low_key(cur: Cursor, min_score: float | None, now: float) -> float:
    """Keys below this cannot reach `min_score` in this set."""
    return -math.inf if min_score is None else cur.score_key(min_score - ROUNDING, now, -1)


def _sure_key(cur: Cursor, min_score: float, now: float) -> float:
    """Keys from this up surely reach `min_score` in this set."""
    return cur.score_key(min_score + ROUNDING, now, 1)


def _bound(value: float) -> str:
    return "-inf" if value == -math.inf else "+inf" if value == math.inf else repr(value)


async def _count_min_score(
    walk: Walk, cursors: list[Cursor], min_score: float
) -> tuple[list[int], list[tuple[Part, str]]]:
    """(how many leads of each set reach `min_score`, those read to decide that did)."""
    if not cursors:
        return [], []
    pipe = walk.redis.pipeline(transaction=False)
    for cur in cursors:
        sure = _bound(_sure_key(cur, min_score, walk.now))
        pipe.zcount(cur.key, sure, "+inf")
        pipe.zrangebyscore(cur.key, _bound(_low_key(cur, min_score, walk.now)), "(" + sure)
    replies = await pipe.execute()
    band = _members(cursors, replies[1::2])
    await walk.load(band)
    query = ListQuery(min_score=min_score)
    counts = [int(n) for n in replies[0::2]]
    qualified = []
    for n, (cur, members) in enumerate(zip(cursors, replies[1::2], strict=True)):
        for lead_id in map(member_text, members):
            if query.keeps(walk.row(cur.part, lead_id)):
                counts[n] += 1
                qualified.append((cur.part, lead_id))
    return counts, qualified


async def _by_score(
    walk: Walk, sets: list[tuple[Cursor, int]], query: ListQuery
) -> tuple[list[Row], int]:
    """Read each set as deep as a lead of it could still make the page; then exact rows."""
    cursors = [cur for cur, _ in sets]
    counts = [n for _, n in sets]
    if query.min_score is not None:
        counts = (await _count_min_score(walk, cursors, query.min_score))[0]
    cursors = [cur for cur, n in zip(cursors, counts, strict=True) if n]  # none would match
    counts = [n for n in counts if n]
    total = sum(counts)
    if query.limit <= 0 or not cursors or query.offset >= total:
        return [], total
    floor = -math.inf if query.min_score is None else query.min_score
    picky = query.consideration is not None  # a lead read may not match: check its row
    for cur, n in zip(cursors, counts, strict=True):
        # Each set's share of the page, doubled; the walk reads on where that falls short.
        most = cur.size if picky else n + 1
        cur.chunk = max(2, min(query.end, most, math.ceil(2 * query.end * n / total)))
    while True:
        # The page's last row scores at least `cut`: the end-th best sure score read so far.
        sure = [
            low
            for cur in cursors
            for key, m in cur.items
            if (low := cur.shown_score(key, walk.now)[0]) >= floor
            and (not picky or query.keeps(walk.row(cur.part, m)))
        ]
        cut = heapq.nlargest(query.end, sure)[-1] if len(sure) >= query.end else floor
        active = [cur for cur in cursors if not cur.done and cur.score_bound(walk.now) >= cut]
        if not active:
            break
        before = [len(cur.items) for cur in active]
        await walk.advance(active)
        if picky:
            fresh = zip(active, before, strict=True)
            await walk.load([(cur.part, m) for cur, n in fresh for _, m in cur.items[n:]])
    candidates = [
        (cur.part, m)
        for cur in cursors
        for key, m in cur.items
        if cur.shown_score(key, walk.now)[1] >= cut
    ]
    await walk.load(candidates)
    rows = [row for part, m in candidates if query.keeps(row := walk.row(part, m))]
    sort_rows(rows, "score")
    return rows[query.offset : query.end], total


async def _by_time(
    walk: Walk, sets: list[tuple[Cursor, int]], slots: list[Slot], query: ListQuery
) -> tuple[list[Row], int]:
    sizes: dict[tuple[int, str], tuple[Part, int]] = {}
    for part, stage, *_, n in slots:
        held = sizes.get((part.pk.partition, stage), (part, 0))[1]
        sizes[(part.pk.partition, stage)] = (part, held + n)
    size = sum(cur.size for cur, _ in sets)
    total = sum(n for _, n in sets)
    if query.min_score is not None:
        scores = [cur for cur, _ in sets]
        counts, band = await _count_min_score(walk, scores, query.min_score)
        total = sum(counts)
        if total * total <= query.end * size:
            # Few qualify: read them all rather than walk past many that do not.
            rows = await _qualifying(walk, scores, query, band)
            return rows[query.offset : query.end], total
    if query.limit <= 0 or query.offset >= total:
        return [], total
    chunk = max(16, min(query.end, math.ceil(2 * query.end / len(sizes))))
    code = _CODE[query.sort]
    cursors = [
        Cursor(part, part.pk.listing(stage, code), n, chunk)
        for (_, stage), (part, n) in sizes.items()
    ]
    picky = query.min_score is not None or query.consideration is not None
    # Without a filter a set read down to the page's end holds nothing more the page needs.
    cap = None if picky else query.end

    def reading(cur: Cursor) -> bool:
        return not cur.done and (cap is None or len(cur.items) < cap)

    while True:
        heads = [cur.last for cur in cursors if reading(cur) and cur.last is not None]
        frontier = max(heads) if heads else None
        unread = any(reading(cur) and cur.last is None for cur in cursors)
        ordered: list[tuple[float, str, Part]] = sorted(
            ((score, m, cur.part) for cur in cursors for score, m in cur.items),
            key=lambda item: (item[0], item[1]),
            reverse=True,
        )
        safe = [] if unread else [i for i in ordered if frontier is None or i[:2] > frontier]
        complete = not unread and frontier is None
        if not picky:
            if len(safe) >= query.end or complete:
                page = safe[query.offset : query.end]
                await walk.load([(part, m) for _, m, part in page])
                found = [walk.row(part, m) for _, m, part in page]
                return [r for r in found if r is not None], total
            nth = ordered[query.end - 1][:2] if len(ordered) >= query.end else None
        else:
            await walk.load([(part, m) for _, m, part in safe])
            matched = [r for _, m, part in safe if query.keeps(r := walk.row(part, m))]
            # `total` counts every match: once all are read the page is whole
            if len(matched) >= min(query.end, total) or complete:
                return matched[query.offset : query.end], total
            nth = None
        active = [
            cur
            for cur in cursors
            if reading(cur) and (nth is None or cur.last is None or cur.last >= nth)
        ]
        await walk.advance(active, cap)


async def _qualifying(
    walk: Walk, scores: list[Cursor], query: ListQuery, band: list[tuple[Part, str]]
) -> list[Row]:
    """Every row reaching min_score, sorted: the surely qualifying leads, and `band`'s."""
    assert query.min_score is not None
    pipe = walk.redis.pipeline(transaction=False)
    for cur in scores:
        pipe.zrangebyscore(cur.key, _bound(_sure_key(cur, query.min_score, walk.now)), "+inf")
    replies = await pipe.execute()
    found = _members(scores, replies)
    found += band
    await walk.load(found)
    rows = [row for part, m in found if query.keeps(row := walk.row(part, m))]
    sort_rows(rows, query.sort)
    return rows
