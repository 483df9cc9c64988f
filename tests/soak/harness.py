"""The soak run: start the stack, drive the load while the fault schedule plays, wait for
the pipeline to drain, then check the four oracles and print the figures.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import redis.asyncio as aioredis

from leadpulse.dev.embedded import EmbeddedValkey
from leadpulse.kernel.schema import Identity
from tests.soak.drift import DriftSampler
from tests.soak.faults import Fault, FaultRunner, schedule
from tests.soak.load import LoadDriver, journeys_for
from tests.soak.observe import Pipeline, read_records, read_topic
from tests.soak.oracles import DESTINATION, Report, alert_counts, lead_counts, timeline_counts
from tests.soak.receiver import WebhookReceiver
from tests.soak.stack import PARTITIONS, READ_TIMEOUT_SECONDS, WEBHOOK_SECRET, Stack
from tests.soak.state_diff import diff_views, read_view, run_rescore

__all__ = ["Options", "run_soak"]

ALERTS_TOPIC, DLQ_TOPIC = "leadpulse.alerts", "leadpulse.alerts.dlq"
EVENTS_TOPIC = "leadpulse.events"


@dataclass(frozen=True)
class Options:
    root: Path
    seconds: float
    rate: float
    seed: int
    faults: bool = True
    drift: bool = False
    drain_seconds: float = 90.0
    keep_data: bool = False  # leave Valkey's AOF and the spool for a post-mortem
    in_flight: int = 8  # intake requests open at once
    logins: bool = False  # people log in with a user id before their first CRM outcome
    lead_cache: int | None = None  # leads each scorer keeps in memory (its default if None)


def say(text: str) -> None:
    print(text, flush=True)


async def run_soak(options: Options) -> Report:
    """One whole soak; the stack is always stopped and its files removed at the end."""
    receiver = WebhookReceiver(WEBHOOK_SECRET, hang_seconds=READ_TIMEOUT_SECONDS + 2)
    receiver.start()
    stack = Stack(options.root, receiver.url, lead_cache=options.lead_cache)
    try:
        started = time.monotonic()
        await asyncio.to_thread(stack.start)
        say(
            f"soak: stack up in {time.monotonic() - started:.1f}s (spool tmpfs: "
            f"{stack.spool_mounted}); seed {options.seed}"
        )
        return await _soak(options, stack, receiver)
    finally:
        await asyncio.to_thread(stack.cleanup, options.keep_data)
        receiver.stop()


async def _soak(options: Options, stack: Stack, receiver: WebhookReceiver) -> Report:
    redis = aioredis.Redis.from_url(stack.valkey.url)
    pipeline = Pipeline(redis, PARTITIONS)
    steps = journeys_for(int(options.seconds * options.rate), options.seed, options.logins)
    load = LoadDriver(stack.base_url, steps, options.rate, options.in_flight)
    faults = schedule(options.seed, options.seconds, disk_full=stack.spool_mounted)
    faults = faults if options.faults else []
    say(f"soak: {len(steps)} events at {options.rate:g}/s; {len(faults)} faults:")
    for fault in faults:
        say(f"  {fault}")
    runner = FaultRunner(stack, receiver, load.probe, pipeline.applied)
    sampler = DriftSampler(lambda: _pids(stack), pipeline, stack.bootstrap, "leadpulse.events")
    t0 = time.monotonic()
    await _drive(load, runner, faults, sampler if options.drift else None)
    accepted = set(load.intake.accepted)
    say(f"soak: load done at +{time.monotonic() - t0:.1f}s, {len(accepted)} accepted; draining")
    await _drain(pipeline, stack, accepted, options.drain_seconds)
    lost, doubled = await timeline_counts(redis, accepted)
    if lost:
        await _explain_lost(lost, load.intake.accepted, runner.history, t0, pipeline, stack)
    stored, listed = await lead_counts(redis)
    say(f"soak: leads stored {stored}, listed {listed}")
    alert_records = await read_records(stack.bootstrap, ALERTS_TOPIC)
    alerts = [value for _, _, _, value in alert_records]
    records = {a["alert_id"]: await pipeline.router_record(a["alert_id"]) for a in alerts}
    dead = await read_topic(stack.bootstrap, DLQ_TOPIC)
    deliveries = await asyncio.to_thread(receiver.deliveries)
    counts = alert_counts(alerts, dead, records, deliveries, runner.router_kills)
    for alert_id in counts.dupe_ids[:5]:
        got = [f"+{d.at - t0:.1f}s {d.status}" for d in deliveries if d.webhook_id == alert_id]
        copies = [f"{p}@{o} key {k}" for p, o, k, v in alert_records if v["alert_id"] == alert_id]
        say(f"soak: alert {alert_id} delivered twice: {', '.join(got)}; on the topic: {copies}")
    if counts.dupe_ids:
        say("soak: faults at " + ", ".join(f"+{at - t0:.1f}s {f.kind}" for at, f in runner.history))
    diff, lines = await _state_diff(stack, redis)
    intake = load.intake
    report = Report(
        events=len(accepted),
        faults=runner.played,
        lost=len(lost),
        doubled=doubled,
        state_diff=diff,
        alerts=counts,
        server_errors=intake.server_errors,
        liveness_failures=runner.liveness_failures,
        details=lines,
    )
    say(
        f"soak: intake statuses {dict(intake.statuses)}, connection errors "
        f"{intake.connection_errors}, rejected {intake.rejected}"
    )
    answered = Counter(d.status for d in deliveries)
    say(f"soak: receiver answered {dict(answered)} (0: the router gave up or hung up first)")
    say("soak: liveness (s): " + ", ".join(f"{k} {v:.1f}" for k, v in runner.liveness))
    for line in [*lines[:15], *report.lines(), *(sampler.lines() if options.drift else [])]:
        say(line[:600])
    if options.drift:
        say(f"drift: valkey bytes per lead {await _bytes_per_lead(pipeline):.0f}")
    await redis.aclose()
    say(report.summary())
    return report


async def _drive(
    load: LoadDriver, runner: FaultRunner, faults: list[Fault], sampler: DriftSampler | None
) -> None:
    """The load and the fault schedule side by side (and the drift samples, if asked)."""
    stop = asyncio.Event()
    sampling = asyncio.create_task(sampler.run(stop)) if sampler is not None else None
    try:
        await asyncio.gather(load.run(), runner.run(faults, time.monotonic()))
    finally:
        stop.set()
        if sampling is not None:
            await sampling
        await load.close()


async def _drain(pipeline: Pipeline, stack: Stack, accepted: set[str], seconds: float) -> None:
    """Quiet: every accepted id applied, stored offsets still, every alert routed.

    One budget for the three waits, so a stalled pipeline fails in bounded time.
    """
    started = time.monotonic()
    drained_by = started + seconds
    missing = await pipeline.wait_applied(accepted, seconds)
    still = await pipeline.wait_still(5, max(6.0, drained_by - time.monotonic()))
    pending = await _wait_routed(pipeline, stack.bootstrap, drained_by - time.monotonic())
    say(
        f"soak: drained in {time.monotonic() - started:.1f}s (unapplied {len(missing)}, "
        f"offsets still {still}, alerts unrouted {pending})"
    )


async def _explain_lost(
    lost: set[str],
    accepted_at: dict[str, float],
    history: list[tuple[float, Fault]],
    t0: float,
    pipeline: Pipeline,
    stack: Stack,
) -> None:
    """Where lost events went missing: on the topic or not, applied or not, and when they
    were accepted against the faults then playing."""
    records = await read_records(stack.bootstrap, EVENTS_TOPIC)
    on_topic = {value.get("event_id") for _, _, _, value in records}
    seen = await pipeline.seen_ids()
    say(
        f"soak: lost {len(lost)}: on the events topic {len(lost & on_topic)}, "
        f"in a dedupe set {len(lost & seen)}"
    )
    trace = stack.root / "lost-trace.jsonl"
    related = _related(records, lost)
    trace.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in related))
    say(f"soak:   {len(related)} messages about their identities in {trace}")
    buckets = Counter(int((accepted_at[i] - t0) // 10) * 10 for i in lost)
    for start, n in sorted(buckets.items()):
        near = [
            f"+{at - t0:.1f}s {f.kind} {f.seconds}s"
            for at, f in history
            if start - 30 <= at - t0 <= start + 10
        ]
        say(f"soak:   accepted at +{start}..{start + 10}s: {n} lost; faults near: {near}")


def _identity_keys(value: dict[str, Any]) -> set[str]:
    raw = value.get("identity")
    keys = set(Identity.model_validate(raw).keys()) if raw else set()
    control = value.get("control") or {}
    return keys | {control[n] for n in ("claimed", "survivor") if isinstance(control.get(n), str)}


def _related(
    records: list[tuple[int, int, str, dict[str, Any]]], lost: set[str]
) -> list[dict[str, Any]]:
    """Every message (with partition, offset, key) about the lost events' identities: the
    events, the claims, merges and forwards between them, in topic order per partition."""
    keys: set[str] = set()
    for _, _, key, value in records:
        if value.get("event_id") in lost:
            keys |= {key, *_identity_keys(value)}
    for _ in range(2):  # the identities they were joined with, and theirs
        for _, _, key, value in records:
            if key in keys or _identity_keys(value) & keys:
                keys |= {key, *_identity_keys(value)}
    return [
        {"partition": p, "offset": o, "key": key, **value}
        for p, o, key, value in records
        if key in keys or _identity_keys(value) & keys
    ]


def _pids(stack: Stack) -> dict[str, int]:
    pids = {n: s.proc.pid for n, s in stack.services.items() if s.proc and s.proc.poll() is None}
    if stack.valkey.pid is not None:
        pids["valkey"] = stack.valkey.pid
    return pids


async def _bytes_per_lead(pipeline: Pipeline) -> float:
    used = (await pipeline.redis.info("memory"))["used_memory"]
    return float(used) / max(1, await pipeline.lead_count())


async def _wait_routed(pipeline: Pipeline, bootstrap: str, seconds: float) -> int:
    """Wait until every alert on the topic has a router outcome; returns how many lack one."""
    deadline = time.monotonic() + seconds
    while True:
        ids = {a["alert_id"] for a in await read_topic(bootstrap, ALERTS_TOPIC, quiet_polls=2)}
        pending = 0
        for alert_id in ids:
            record = await pipeline.router_record(alert_id)
            pending += record.get("gate") != "throttled" and f"d:{DESTINATION}" not in record
        if not pending or time.monotonic() > deadline:
            return pending
        await asyncio.sleep(1)


async def _state_diff(stack: Stack, live: Any) -> tuple[int, list[str]]:
    """Stop the services, rescore the topic into a fresh Valkey, compare at one instant."""
    for service in stack.services.values():
        await asyncio.to_thread(service.stop)
    fresh = EmbeddedValkey(stack.root / "rescore-valkey")
    fresh.start()
    try:
        env = {**stack.base_env(), "LP_DATA_DIR": str(stack.root / "rescore")}
        took = await asyncio.to_thread(run_rescore, env, fresh.url, stack.root / "rescore.log")
        say(f"soak: rescore took {took:.1f}s")
        rebuilt = aioredis.Redis.from_url(fresh.url)
        now = time.time()
        try:
            return diff_views(await read_view(live, now), await read_view(rebuilt, now))
        finally:
            await rebuilt.aclose()
    finally:
        fresh.stop()
