"""Read-only access to scoring state, for ingest's read API and dashboard.

Every function takes a redis.asyncio client (Redis or RedisCluster) and never writes.
Leads live on their Kafka partition's keys (`scorer.storage.keys`); a lookup by lead id or email
reads all P partitions in one pipeline. Scores are decayed to "now" here, on read.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Sequence
from datetime import date
from typing import Any, NamedTuple

import orjson

from leadpulse.kernel.alert_log import alert_log_key, alert_rows
from leadpulse.kernel.schema import canonical_email
from leadpulse.kernel.valkey import Valkey
from scorer.core.content import lead_consideration, top_interests
from scorer.core.decay import value_at
from scorer.core.state import LeadState
from scorer.core.state_layout import load_lead
from scorer.core.steps import STEPS_KEPT, stage_entry
from scorer.core.timeline import entries, score_points
from scorer.predict.model_page import models_page_data
from scorer.predict.registry import DEFAULT_MODEL
from scorer.read.accounts import read_account
from scorer.read.funnel_report import funnel_report
from scorer.read.list_page import ListQuery, list_page, sort_rows
from scorer.read.list_walk import index_rows, iso, member_text, summary_row
from scorer.read.p_convert_list import by_p_convert
from scorer.storage.keys import META, SUPPRESSED, PartitionKeys, suppression_digest

__all__ = [
    "get_account",
    "get_funnel",
    "get_lead",
    "is_suppressed",
    "lead_identities",
    "list_leads",
    "recent_activity",
    "score_view",
]

SORTS = ("score", "last_seen", "created", "recent", "p_convert")


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


async def _meta(redis: Valkey) -> dict[str, str]:
    raw = await redis.hgetall(META)
    return {_text(k): _text(v) for k, v in raw.items()}


async def _partitions(redis: Valkey) -> list[PartitionKeys]:
    count = int((await _meta(redis)).get("partitions", "0"))
    return [PartitionKeys(p) for p in range(count)]


async def is_suppressed(redis: Valkey, identity_keys: list[str]) -> bool:
    """Whether any of these identities belongs to a forgotten person (one round trip)."""
    if not identity_keys:
        return False
    hits = await redis.smismember(SUPPRESSED, [suppression_digest(k) for k in identity_keys])
    return any(bool(hit) for hit in hits)


def _ref_key(ref: str) -> str:
    if "@" in ref and not ref.startswith("email:"):
        return "email:" + canonical_email(ref)
    return ref


class _Located(NamedTuple):
    """Where a lead lives, and who it is: its id and identity keys."""

    pk: PartitionKeys
    lead_id: str
    keys: list[str]


def _located(pk: PartitionKeys, blob: bytes) -> _Located:
    state = LeadState.loads(blob)  # its key alone: who it is, not its steps kept apart
    return _Located(pk, state.lead_id, state.keys)


async def _locate(redis: Valkey, ref: str) -> _Located | None:
    parts = await _partitions(redis)
    if not parts:
        return None
    pipe = redis.pipeline(transaction=False)
    if ref.startswith("ld_"):
        for pk in parts:
            pipe.get(pk.lead(ref))
        for pk, blob in zip(parts, await pipe.execute(), strict=True):
            if blob is not None:
                return _located(pk, blob)
        return None
    for pk in parts:
        pipe.hget(pk.identities, _ref_key(ref))
    found = [(pk, _text(v)) for pk, v in zip(parts, await pipe.execute(), strict=True) if v]
    if not found:
        return None
    pipe = redis.pipeline(transaction=False)
    for pk, lead_id in found:
        pipe.get(pk.lead(lead_id))
    for (pk, _), blob in zip(found, await pipe.execute(), strict=True):
        if blob is not None:
            return _located(pk, blob)
    return None


async def _read_lead(redis: Valkey, ref: str) -> tuple[LeadState, list[bytes], list[bytes]] | None:
    """A lead's state, timeline and score history as of one moment.

    Read in one MULTI (the keys share their partition's hash slot): read one by one, a merge
    applied in between would show the merged timeline beside the state from before it.
    """
    for _ in range(3):
        located = await _locate(redis, ref)
        if located is None:
            return None
        pk, lead_id, _ = located
        pipe = redis.pipeline(transaction=True)
        pipe.get(pk.lead(lead_id))
        pipe.get(pk.past(lead_id))
        pipe.lrange(pk.timeline(lead_id), 0, -1)
        pipe.lrange(pk.score_history(lead_id), 0, -1)
        blob, past, timeline_raw, history_raw = await pipe.execute()
        if blob is not None:
            return load_lead(blob, past), timeline_raw, history_raw
        # merged into another lead or forgotten between the two reads: locate it again
    return None


def score_view(state: LeadState, now: float) -> dict[str, Any]:
    """The lead's score as the read API shows it: per model, decayed to `now`, its reasons
    heaviest first."""
    models: dict[str, Any] = {}
    for name, ms in state.models.items():
        rows: list[dict[str, Any]] = [
            {
                "rule": rule,
                "points": round(value_at(v, ms.anchor, now, ms.half_life_days), 2),
                "at": iso(last),
            }
            for rule, (v, last) in ms.engagement.items()
        ]
        engagement = round(sum(r["points"] for r in rows), 2)
        fits: list[dict[str, Any]] = [
            {"rule": r, "points": round(p, 2), "at": iso(ms.fit_at)} for r, p in ms.fit.items()
        ]
        fit = round(sum(r["points"] for r in fits), 2)
        # Equal weights by rule name, as `scoring.ranked` orders them.
        breakdown = sorted(rows + fits, key=lambda r: (-abs(r["points"]), r["rule"]))
        models[name] = {
            "engagement": engagement,
            "fit": fit,
            "total": round(engagement + fit, 2),
            "breakdown": breakdown,
        }
    primary = next(
        iter(models.values()), {"engagement": 0.0, "fit": 0.0, "total": 0.0, "breakdown": []}
    )
    return {**primary, "models": models}


async def get_lead(
    redis: Valkey, ref: str, *, now: float | None = None, delivery: bool = True
) -> dict[str, Any] | None:
    """A lead by lead id or email: score (decayed to `now`), stages, timeline, interests.

    `delivery=False` leaves out what the router made of each alert (the alert intents
    alone), which is what a rebuild from the events topic can be compared on."""
    snapshot = await _read_lead(redis, ref)
    if snapshot is None:
        return None
    state, timeline_raw, history_raw = snapshot
    threshold, timeline_max = await redis.hmget(META, ["threshold", "timeline_max"])
    keep = int(timeline_max) if timeline_max is not None else STEPS_KEPT
    timeline = entries(state.steps, timeline_raw, keep)
    for entry in timeline:
        entry["at"] = iso(entry.get("at"))
        entry["noise"] = "flagged" in entry
    points = score_points(state.steps, history_raw)
    # The router's log of this lead's alerts (its own hash slot, so read apart from the
    # MULTI above): sla_breach and account alerts too, and what became of each.
    alert_log = await redis.hgetall(alert_log_key(state.lead_id)) if delivery else {}
    intents = [(str(kind), str(alert_id), float(t)) for kind, alert_id, t in state.alerts]
    return {
        "lead_id": state.lead_id,
        "email": state.email,
        "stage": state.stage,
        "score": score_view(state, time.time() if now is None else now),
        **({"prediction": state.prediction} if state.prediction is not None else {}),
        "threshold": float(threshold) if threshold is not None else None,
        "stage_history": [stage_entry(entry) for entry in state.history],
        "timeline": timeline,
        "interests": top_interests(state.topics),
        "consideration": lead_consideration(state.consideration),
        "account": state.account,
        "account_traits": state.account_traits,
        "owner": state.owner,
        "traits": state.traits,
        "identity_verified": state.verified,
        "identities": len(state.keys),
        "created_at": iso(state.created),
        "last_seen": iso(state.last_seen),
        "nurture_paused_until": iso(state.paused_until),
        "alerts": alert_rows(intents, alert_log),
        "score_history": [{"at": iso(t), "score": s} for t, s in points],
    }


async def lead_identities(redis: Valkey, ref: str) -> tuple[str, list[str]] | None:
    """(identity key that routes to the lead's partition, every identity key it has)."""
    located = await _locate(redis, ref)
    if located is None:
        return None
    return located.keys[0], list(located.keys)


async def _all_summaries(
    redis: Valkey, key_of: Any, now: float | None = None
) -> list[dict[str, Any]]:
    parts = await _partitions(redis)
    if not parts:
        return []
    pipe = redis.pipeline(transaction=False)
    for pk in parts:
        pipe.hgetall(key_of(pk))
    at = time.time() if now is None else now
    return [row for shard in await pipe.execute() for row in index_rows(shard, at)]


async def _account_summaries(
    redis: Valkey, account: str, now: float | None = None
) -> list[dict[str, Any]]:
    """The summaries of an account's people: its hash names them per partition, the
    partition's index holds each summary (two round trips, whatever the partitions)."""
    parts = await _partitions(redis)
    if not parts:
        return []
    pipe = redis.pipeline(transaction=False)
    for pk in parts:
        pipe.hkeys(pk.account(account))
    members = await pipe.execute()
    pipe = redis.pipeline(transaction=False)
    asked = [(pk, ids) for pk, ids in zip(parts, members, strict=True) if ids]
    for pk, ids in asked:
        pipe.hmget(pk.index, ids)
    at = time.time() if now is None else now
    rows = await pipe.execute() if asked else []
    return [
        summary_row(member_text(lead_id), raw, at)
        for (_, ids), shard in zip(asked, rows, strict=True)
        for lead_id, raw in zip(ids, shard, strict=True)
        if raw is not None
    ]


async def list_leads(
    redis: Valkey,
    *,
    stage: str | None = None,
    min_score: float | None = None,
    account: str | None = None,
    consideration: str | None = None,
    sort: str = "score",
    offset: int = 0,
    limit: int = 50,
    now: float | None = None,
    min_p_convert: float | None = None,
) -> dict[str, Any]:
    """Leads filtered and sorted (score, last_seen, created or p_convert; highest first).

    Scores are decayed to `now` (default: the current time). Reads only what the page
    needs from the list index (`scorer.read.list_page`), except for an account's people.
    """
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}")
    if min_score is not None and not math.isfinite(min_score):
        raise ValueError("min_score must be a finite number")
    at = time.time() if now is None else now
    query = ListQuery(stage, min_score, consideration, sort, offset, limit)
    if sort == "p_convert" or min_p_convert is not None:
        page, total = by_p_convert(
            await _all_summaries(redis, lambda pk: pk.index, at), query, min_p_convert, account
        )
    elif account is not None:
        # An account's people have their own hash: read those, not every lead.
        wanted = account.lower()
        rows = await _account_summaries(redis, wanted, at)
        rows = [r for r in rows if r["account"] == wanted and query.keeps(r)]
        sort_rows(rows, sort)
        page, total = rows[offset : offset + limit], len(rows)
    else:
        page, total = await list_page(redis, await _partitions(redis), query, at)
    return {"leads": page, "total": total, "offset": offset, "limit": limit}


async def get_model(redis: Valkey, names: Sequence[str] = (DEFAULT_MODEL,)) -> list[dict[str, Any]]:
    """Each named predictive model's live and shadow versions and its latest backtest."""
    return await models_page_data(redis, names)


async def get_account(redis: Valkey, account_id: str) -> dict[str, Any] | None:
    """An account: score (sum or max of its people, per config), people, buying group, and
    the traits `group` calls gave it. Its id and its domain name the same account."""
    account = account_id.strip().lower()
    meta = await _meta(redis)
    parts = await _partitions(redis)
    info = await read_account(redis, len(parts), account)
    names = [account]
    if info is not None:
        names = list(dict.fromkeys([info.account, info.traits.get("domain") or info.account]))
        account = info.account
    people = []
    for name in names:
        people += await _account_summaries(redis, name)
    people = list({p["lead_id"]: p for p in people}.values())
    if not people and info is None:
        return None
    pipe = redis.pipeline(transaction=False)
    for pk in parts:
        pipe.zrange(pk.buying_group(account), 0, -1, withscores=True)
        pipe.get(pk.buying_group_fired(account))
    replies = await pipe.execute()
    engaged: dict[str, float] = {}
    fired: float | None = None
    for n in range(len(parts)):
        for member, score in replies[2 * n]:
            engaged[_text(member)] = max(engaged.get(_text(member), 0.0), float(score))
        if replies[2 * n + 1] is not None:
            fired = float(replies[2 * n + 1])
    mode = meta.get("account_score", "sum")
    needed = int(meta.get("buying_group_people", "0")) or None
    days = float(meta.get("buying_group_days", "0")) or None
    since = time.time() - (days or 0) * 86_400
    recent = [lead for lead, at in engaged.items() if at >= since]
    scores = [p["score"] for p in people]
    people.sort(key=lambda p: -p["score"])
    return {
        "account_id": account,
        "traits": dict(info.traits) if info is not None else {},
        "score": round(max(scores, default=0.0) if mode == "max" else sum(scores), 2),
        "score_mode": mode,
        "people": people,
        "buying_group": {
            "engaged_people": len(recent),
            "people": needed,
            "days": days,
            "active": needed is not None and len(recent) >= needed,
            "last_alert_at": iso(fired),
            "engaged": [{"lead_id": k, "at": iso(v)} for k, v in sorted(engaged.items())],
        },
    }


async def get_funnel(
    redis: Valkey, *, start: date, end: date, by: str | None = None, period: str | None = None
) -> dict[str, Any]:
    """Flow, balance, conversions, recycle loops (and by channel/campaign, per period)."""
    if by not in (None, "channel", "campaign"):
        raise ValueError("by must be channel or campaign")
    if period not in (None, "day", "week", "month"):
        raise ValueError("period must be day, week or month")
    parts = await _partitions(redis)
    kinds = ["flow", "tr", "bal"] + ([{"channel": "src", "campaign": "cmp"}[by]] if by else [])
    pipe = redis.pipeline(transaction=False)
    for pk in parts:
        for kind in kinds:
            pipe.hgetall(pk.funnel(kind))
    replies = await pipe.execute() if parts else []
    shards = {kind: replies[i :: len(kinds)] for i, kind in enumerate(kinds)}
    report = funnel_report(
        shards["flow"],
        shards["tr"],
        shards["bal"],
        shards[kinds[3]] if by else None,
        start=start,
        end=end,
        period=period,
    )
    if by:
        report["by"] = by
    return report


async def recent_activity(redis: Valkey, limit: int = 50) -> list[dict[str, Any]]:
    """The latest stage changes across all partitions, newest first."""
    parts = await _partitions(redis)
    if not parts:
        return []
    pipe = redis.pipeline(transaction=False)
    for pk in parts:
        pipe.lrange(pk.recent, 0, limit - 1)
    entries = [orjson.loads(raw) for shard in await pipe.execute() for raw in shard]
    newest = heapq.nlargest(limit, entries, key=lambda e: e.get("at", 0))
    for entry in newest:
        entry["at"] = iso(entry.get("at"))
    return newest
