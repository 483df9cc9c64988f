"""One getmany() batch: read the partitions' state, apply every message, write atomically.

Two reads per batch whatever its size: (1) stored offsets, dedupe hits, identity maps,
forwards, suppression; (2) the lead states, timelines and account groups those point at.
Then each partition is computed and its writes leave at once, one pipeline per partition
with one `apply.lua` call per run of up to RUN_MAX messages, carrying the run's effects
coalesced per key (a lead touched by ten events of the run is written once; one call per
message cost more in packing, parsing and script overhead than the work itself): Valkey
applies one partition while the next is computed. Calls of one partition are chained: each
names the offset its predecessor stores, so if any call fails the rest of that partition's
chain writes nothing: a zombie consumer after a rebalance (`{0, stored}`) re-reads the
partition from its stored offset; a script cache flush (NOSCRIPT) reloads the scripts and
applies again. A failure while computing a later partition leaves the partitions sent
before it written whole, their offsets stored with them: the batch applied again passes
over what they applied.

Poison: with a `park` callback, a fresh message that cannot be decoded or whose handler
raises (`errors.PoisonMessage`) stops its partition's computation before anything of it is
written; `park` publishes the dead letter (and raises if the broker did not ack), then the
partition is applied again with that message passed over, so the stored offset moves past it
in the same atomic call as the messages around it. A crash after the park and before that
call parks it again on restart: a duplicate dead letter, never a lost one.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson
from redis.exceptions import NoScriptError

from leadpulse.kernel.messages import (
    AccountLost,
    AccountTouch,
    AccountVisit,
    Claim,
    Merge,
    message_of,
)
from leadpulse.kernel.valkey import Valkey
from leadpulse.kernel.wire import Envelope
from scorer.core.config import Rules
from scorer.core.effects import Outbound
from scorer.core.state import LeadState
from scorer.core.state_layout import load_lead
from scorer.handlers.dispatch import apply_message, end_run
from scorer.runtime.errors import (
    ApplyError,
    HandlerFailed,
    PoisonMessage,
    Undecodable,
    is_retriable,
)
from scorer.runtime.lead_cache import LeadCache
from scorer.storage import horizons
from scorer.storage.keys import SUPPRESSED, PartitionKeys, suppression_digest
from scorer.storage.scripts import Scripts
from scorer.storage.view import PartitionView
from scorer.storage.writes import WriteSet

__all__ = [
    "RUN_MAX",
    "ApplyError",
    "Message",
    "Park",
    "PartitionResult",
    "apply_batch",
    "read_stored_offset",
]

# Messages per apply.lua call: one call holds Valkey for its whole run, so keep runs short
# enough (a few ms) not to stall the read API and ingest's suppression check.
RUN_MAX = 100

# Event loop turns a pipeline takes to reach the socket (redis-py: two, a pool connection,
# then the write): given before the next partition is computed, so Valkey applies this
# one's writes meanwhile. Were it to take more, they would leave at the next partition.
_TURNS_TO_SEND = 3

# Publishes a poison message's dead letter; returns once the broker acked it.
Park = Callable[[PoisonMessage], Awaitable[None]]


class Message(NamedTuple):
    offset: int
    key: str
    event: Envelope | None
    skip: bool = False
    # Dead-lettered already: its offset passes, nothing else of it is applied.
    parked: bool = False


@dataclass(slots=True)
class PartitionResult:
    partition: int
    last_applied: int | None = None
    conflict: bool = False
    outbound: list[Outbound] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)


def _b(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


async def read_stored_offset(redis: Valkey, partition: int) -> int:
    raw = await redis.get(PartitionKeys(partition).offset)
    return int(raw) if raw is not None else -1


def _lookup_keys(messages: list[Message]) -> list[str]:
    keys: dict[str, None] = {}
    for message in messages:
        keys[message.key] = None
        event = message.event
        if event is None:
            continue
        identities = event.identity.keys()
        for k in identities:
            keys[k] = None
        if event.previous_id:
            keys[event.previous_id] = None
        told = message_of(event)
        if isinstance(told, Claim):
            keys[told.claimed] = None
            keys[told.survivor] = None
        elif isinstance(told, Merge):
            keys[told.survivor] = None
    return list(keys)


async def _read_views(
    redis: Valkey,
    batches: dict[int, list[Message]],
    cache: LeadCache,
    lost_accounts: Mapping[str, float],
    accounts: Mapping[str, Any],
) -> tuple[dict[int, PartitionView], dict[int, dict[str, LeadState]]]:
    plan: list[tuple[int, list[str], list[str], list[str]]] = []
    pipe = redis.pipeline(transaction=False)
    for partition, messages in batches.items():
        pk = PartitionKeys(partition)
        ids = [m.event.event_id for m in messages if m.event is not None]
        keys = _lookup_keys(messages)
        digests = [suppression_digest(k) for k in keys]
        pipe.get(pk.offset)
        if ids:
            pipe.zmscore(pk.seen, ids)
        else:
            pipe.zcard(pk.seen)  # a placeholder reply: no ids to look up
        pipe.hmget(pk.identities, keys)
        pipe.hmget(pk.fwd, keys)
        pipe.smismember(SUPPRESSED, digests)
        horizons.read_plan(pipe, pk)
        plan.append((partition, ids, keys, digests))
    first = await pipe.execute()
    views: dict[int, PartitionView] = {}
    cached: dict[int, dict[str, LeadState]] = {}
    pipe = redis.pipeline(transaction=False)
    second: list[tuple[PartitionView, str, str]] = []
    for n, (partition, ids, keys, digests) in enumerate(plan):
        offset, seen, identities, forwards, suppressed, watermark, pending = first[
            7 * n : 7 * n + 7
        ]
        view = PartitionView(PartitionKeys(partition), int(offset) if offset is not None else -1)
        if ids:
            view.seen = {i for i, score in zip(ids, seen, strict=True) if score is not None}
        view.identities = {k: _b(v) for k, v in zip(keys, identities, strict=True) if v is not None}
        view.forwards = {k: _b(v) for k, v in zip(keys, forwards, strict=True) if v is not None}
        view.suppressed = {d for d, hit in zip(digests, suppressed, strict=True) if hit}
        view.lost_accounts = lost_accounts
        view.accounts = accounts
        horizons.take_plan(view, watermark, pending)
        views[partition] = view
        pk = view.pk
        known = cached[partition] = cache.take(partition, view.stored_offset)
        due = horizons.due_leads(view, [m.event for m in batches[partition]])
        for lead_id in set(view.identities.values()) | due:
            if lead_id in known:
                view.leads[lead_id] = known[lead_id]
                continue
            # Two GETs, not an MGET: a cluster client refuses MGET in a pipeline.
            pipe.get(pk.lead(lead_id))
            pipe.get(pk.past(lead_id))
            second.append((view, "lead", lead_id))
            second.append((view, "past", lead_id))
        for message in batches[partition]:
            event = message.event
            if event is None:
                continue
            told = message_of(event)
            if isinstance(told, Claim):
                owner = view.identities.get(told.claimed)
                if owner:
                    lead_id = owner
                    pipe.lrange(pk.timeline(lead_id), 0, -1)
                    second.append((view, "timeline", lead_id))
            elif isinstance(told, AccountLost | AccountVisit):
                account = told.account
                if account and account not in view.lost_records:
                    view.lost_records[account] = None
                    pipe.hget(pk.lost_accounts, account)
                    second.append((view, "lost", account))
            elif isinstance(told, AccountTouch):
                account = told.account
                if account and account not in view.groups:
                    view.groups[account] = {}
                    pipe.zrange(pk.buying_group(account), 0, -1, withscores=True)
                    second.append((view, "group", account))
                    pipe.get(pk.buying_group_fired(account))
                    second.append((view, "fired", account))
    if second:
        results = await pipe.execute()
        stored: dict[str, Any] = {}
        for (view, kind, name), value in zip(second, results, strict=True):
            if kind == "lead":
                stored[name] = value
            elif kind == "past":
                blob = stored.pop(name)
                view.leads[name] = load_lead(blob, value) if blob is not None else None
            elif kind == "timeline":
                view.timelines[name] = list(reversed(value))
            elif kind == "lost":
                view.lost_records[name] = orjson.loads(value) if value is not None else None
            elif kind == "group":
                view.groups[name] = {_b(member): float(score) for member, score in value}
            else:
                view.group_fired[name] = float(value) if value is not None else None
    return views, cached


async def apply_batch(
    redis: Valkey,
    scripts: Scripts,
    rules: Rules,
    batches: dict[int, list[Message]],
    cache: LeadCache | None = None,
    lost_accounts: Mapping[str, float] | None = None,
    accounts: Mapping[str, Any] | None = None,
    park: Park | None = None,
) -> dict[int, PartitionResult]:
    """Apply every message of the batch; each partition's result says how far it got.

    With a `cache`, lead states stay in memory between batches (see `lead_cache`).
    A server that forgot the scripts (NOSCRIPT: restarted, flushed) gets them again and
    the partitions it refused are applied once more; any other error reply raises
    `ApplyError`, leaving the caller to resume from Valkey. With `park`, poison messages
    are parked and passed over (module docstring); without it an undecodable message is
    passed over as `unreadable` and a failing handler's error propagates.
    """
    cache = cache if cache is not None else LeadCache(0)
    lost, known = lost_accounts or {}, accounts or {}
    results: dict[int, PartitionResult] = {}
    parked: dict[int, set[int]] = {}
    pending, reloaded = batches, False
    while pending:
        done, refused, poisoned = await _apply_once(
            redis, scripts, rules, pending, cache, lost, known, park is not None
        )
        results.update(done)
        if refused:
            if reloaded:
                raise ApplyError(f"NOSCRIPT again after reloading, partitions {sorted(refused)}")
            await scripts.reload(redis, "noscript")
            reloaded = True
        for poison in poisoned:
            assert park is not None
            await park(poison)
            parked.setdefault(poison.partition, set()).add(poison.offset)
        again = refused | {poison.partition for poison in poisoned}
        pending = {p: _mark_parked(batches[p], parked.get(p, set())) for p in again}
    return results


def _mark_parked(messages: list[Message], offsets: set[int]) -> list[Message]:
    return [m._replace(parked=True) if m.offset in offsets else m for m in messages]


def _fingerprint(ws: WriteSet) -> str:
    """'<offset> <event id>' of the run's last message ('<offset> ' when it had no id)."""
    return f"{ws.offset} {ws.last_id}"


async def _apply_once(
    redis: Valkey,
    scripts: Scripts,
    rules: Rules,
    batches: dict[int, list[Message]],
    cache: LeadCache,
    lost_accounts: Mapping[str, float],
    accounts: Mapping[str, Any],
    parking: bool,
) -> tuple[dict[int, PartitionResult], set[int], list[PoisonMessage]]:
    """One attempt: results of the partitions applied, those refused with NOSCRIPT, and
    the poison messages found (their partitions wrote nothing): every undecodable one, and
    the first whose handler raised (what follows it was computed from a spoiled view).

    A partition's writes leave as soon as it is computed, on their own connection, so
    Valkey applies them while the next partition is computed."""
    views, cached = await _read_views(redis, batches, cache, lost_accounts, accounts)
    poisoned: list[PoisonMessage] = []
    sent: list[tuple[PartitionResult, list[int], asyncio.Future[list[Any]]]] = []
    try:
        for partition, messages in batches.items():
            view = views[partition]
            result, runs, poisons = _compute(view, rules, messages, parking)
            if poisons:
                # Nothing of this partition is written: the view may hold half a message.
                poisoned += poisons
                continue
            result.outbound = view.outbound
            pipe, offsets = _writes(redis, scripts, rules, view, runs)
            # An empty pipeline replies [] without a connection.
            sending = asyncio.ensure_future(pipe.execute(raise_on_error=False))
            sent.append((result, offsets, sending))
            for _ in range(_TURNS_TO_SEND):
                await asyncio.sleep(0)
    finally:
        # Every partition sent is done before anything raises or a reply is read.
        await asyncio.gather(*(f for *_, f in sent), return_exceptions=True)
    out: dict[int, PartitionResult] = {}
    refused: set[int] = set()
    for result, offsets, pending in sent:
        replies = pending.result()
        base = len(replies) - len(offsets)  # a SADD of suppressions may come first
        for i, offset in enumerate(offsets):
            reply = replies[base + i]
            if isinstance(reply, NoScriptError) and i == 0:
                refused.add(result.partition)  # nothing of this partition was written
                break
            if isinstance(reply, Exception):
                raise ApplyError(f"partition {result.partition}: {reply}") from reply
            if int(reply[0]) == 0:
                result.conflict = True  # {0, stored}: another consumer moved the offset
                break
            result.last_applied = offset
        if result.partition in refused:
            continue
        view = views[result.partition]
        if result.conflict:
            result.outbound = []
        else:
            stored = result.last_applied if offsets else view.stored_offset
            assert stored is not None
            cache.keep(result.partition, stored, cached[result.partition], view.leads)
        out[result.partition] = result
    return out, refused, poisoned


def _compute(
    view: PartitionView, rules: Rules, messages: list[Message], parking: bool
) -> tuple[PartitionResult, list[WriteSet], list[PoisonMessage]]:
    """A partition's messages applied to its view, in runs of up to RUN_MAX; the poison
    messages found instead, when parking."""
    partition = view.pk.partition
    result = PartitionResult(partition)
    fresh = [m for m in messages if m.offset > view.stored_offset]
    result.outcomes["already_applied"] += len(messages) - len(fresh)
    runs: list[WriteSet] = []
    poisons: list[PoisonMessage] = []
    for start in range(0, len(fresh), RUN_MAX):
        ws = WriteSet(view.pk)
        for message in fresh[start : start + RUN_MAX]:
            if message.skip or message.parked:
                ws.note(message.offset, None)
                outcome = "parked" if message.parked else "skipped"
            elif parking and message.event is None:
                # Changes nothing in the view: look on for more to park in one go.
                poisons.append(Undecodable(partition, message.offset, "not an envelope"))
                continue
            else:
                try:
                    _, outcome = apply_message(
                        view, rules, message.key, message.offset, message.event, ws
                    )
                except Exception as exc:
                    if not parking or is_retriable(exc):
                        raise
                    detail = f"{type(exc).__name__}: {exc}"
                    poisons.append(HandlerFailed(partition, message.offset, detail))
                    return result, runs, poisons
            result.outcomes[outcome] += 1
        end_run(ws, view, rules)
        runs.append(ws)
    return result, runs, poisons


def _writes(
    redis: Valkey, scripts: Scripts, rules: Rules, view: PartitionView, runs: list[WriteSet]
) -> tuple[Any, list[int]]:
    """A pipeline of the partition's writes, one `apply.lua` call per run chained by the
    offset each stores, and those offsets."""
    pipe = redis.pipeline(transaction=False)
    if view.suppress:
        pipe.sadd(SUPPRESSED, *view.suppress)
    expected = view.stored_offset
    offsets: list[int] = []
    for ws in runs:
        keys, args = ws.script_args(expected, rules.dedupe_window, _fingerprint(ws))
        pipe.execute_command("EVALSHA", scripts.apply, len(keys), *keys, *args)
        expected = ws.offset
        offsets.append(expected)
    return pipe, offsets
