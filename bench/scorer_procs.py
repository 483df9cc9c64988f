"""`leadpulse scorer` processes on a preloaded topic: how long until every message is applied.

Each run gets a topic of its own preloaded with the same events, a Valkey database of its
own and a consumer group of its own, and starts N `python -m leadpulse scorer` processes at
once (as tests/soak/stack.py starts services). It polls, every 0.2 s, each process's
/readyz (it holds partitions) until all are ready, and the stored offsets and outboxes:
done at the poll that saw the stored offsets' last move, once every event is applied, no
outbox holds a message and nothing moved for a second. (Not the topic's end offsets: the
embedded broker answers ListOffsets with less than the log holds.)
The scorers' CPU time (/proc/<pid>/stat) is read at the same polls: how many cores they
used while all held partitions.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
from redis.asyncio import Redis

from bench.scorer_load import outbox_total, produce, progress, stored_total
from leadpulse.dev.embedded import die_with_parent, free_port
from leadpulse.kernel.kafka import ensure_topics
from leadpulse.kernel.schema import EventEnvelope
from leadpulse.kernel.settings import Settings

POLL_SECONDS = 0.2
# Nothing applied for this long, every event applied and no outbox holding a message: done.
QUIET = 1.0


@dataclass(frozen=True)
class ProcessRun:
    processes: int
    messages: int  # events and the scorers' own messages, all applied
    ready_after: float  # seconds from spawn until every process held partitions
    done_after: float  # seconds from spawn until everything was applied
    applied_when_ready: int  # messages applied before every process held partitions
    # user + system seconds of the scorer processes from the moment all held partitions
    # until done (the polls that saw them)
    cpu_seconds: float

    @property
    def window(self) -> float:
        return self.done_after - self.ready_after

    @property
    def window_rate(self) -> float:
        """Messages per second while every process held partitions."""
        return (self.messages - self.applied_when_ready) / max(self.window, 1e-9)


def db_url(settings: Settings, db: int) -> str:
    return (settings.redis_url or "").rpartition("/")[0] + f"/{db}"


def _env(settings: Settings, data: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LP_")}
    env |= {
        "LP_KAFKA_BOOTSTRAP": settings.kafka_bootstrap or "",
        "LP_KAFKA_PARTITIONS": str(settings.kafka_partitions),
        "LP_REDIS_URL": settings.redis_url or "",
        "LP_TOPIC_EVENTS": settings.topic_events,
        "LP_SCORER_GROUP": settings.scorer_group,
        "LP_SCORER_HEALTH_PORT": str(port),
        "LP_DATA_DIR": str(data),
        "LP_LOG_FORMAT": "json",
        "LP_LOG_LEVEL": "warning",
    }
    return env


async def _all_ready(client: httpx.AsyncClient, ports: list[int]) -> bool:
    for port in ports:
        try:
            answer = await client.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
        except httpx.HTTPError:
            return False
        if answer.status_code != 200:
            return False
    return True


def _cpu_seconds(procs: list[subprocess.Popen[bytes]]) -> float:
    """User + system seconds the processes used so far (Linux /proc; 0 elsewhere)."""
    total = 0
    for proc in procs:
        try:
            fields = Path(f"/proc/{proc.pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            return 0.0
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _spawn(
    settings: Settings, root: Path, ports: list[int], logs: list[Path]
) -> list[subprocess.Popen[bytes]]:
    """One `python -m leadpulse scorer` per health port, each logging under `root`."""
    procs = []
    for n, port in enumerate(ports):
        data = root / f"scorer-{len(ports)}-{n}"
        data.mkdir(parents=True, exist_ok=True)
        logs.append(data / "scorer.log")
        with logs[-1].open("ab") as log:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "leadpulse", "scorer"],
                    env=_env(settings, data, port),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    preexec_fn=die_with_parent,
                )
            )
    return procs


async def run_processes(
    settings: Settings, events: list[EventEnvelope], processes: int, db: int, root: Path
) -> ProcessRun:
    settings = settings.model_copy(
        update={
            "topic_events": f"bench.procs{processes}",
            "redis_url": db_url(settings, db),
            "scorer_group": f"bench-procs-{uuid.uuid4().hex}",
        }
    )
    await ensure_topics(settings)
    await produce(settings, settings.topic_events, events)
    ports = [free_port() for _ in range(processes)]
    procs: list[subprocess.Popen[bytes]] = []
    logs: list[Path] = []
    redis = Redis.from_url(settings.redis_url or "")
    partitions = settings.kafka_partitions
    try:
        spawned = time.perf_counter()
        procs += _spawn(settings, root, ports, logs)
        ready_at: float | None = None
        when_ready, cpu_ready = 0, 0.0
        last, last_change, cpu_change = -1, spawned, 0.0
        reported = spawned
        async with httpx.AsyncClient() as client:
            while True:
                await asyncio.sleep(POLL_SECONDS)
                for proc, log_path in zip(procs, logs, strict=True):
                    if proc.poll() is not None:
                        tail = log_path.read_text(errors="replace")[-2000:]
                        raise RuntimeError(f"a scorer exited with {proc.returncode}:\n{tail}")
                now = time.perf_counter()
                if ready_at is None and await _all_ready(client, ports):
                    ready_at, when_ready = now, await stored_total(redis, partitions)
                    cpu_ready = _cpu_seconds(procs)
                    progress(f"{processes} scorer(s) hold partitions after {now - spawned:.1f} s")
                pending = await outbox_total(redis, partitions)
                applied = await stored_total(redis, partitions)
                if applied != last:
                    last, last_change, cpu_change = applied, now, _cpu_seconds(procs)
                elif applied >= len(events) and not pending and now - last_change >= QUIET:
                    done, done_at = applied, last_change
                    break
                if now - reported >= 5:
                    reported = now
                    progress(f"{processes} scorer(s): {applied:,} messages applied")
        if ready_at is None:  # all applied before the last process held a partition
            ready_at, when_ready, cpu_ready = done_at, done, cpu_change
        cpu = cpu_change - cpu_ready
        return ProcessRun(processes, done, ready_at - spawned, done_at - spawned, when_ready, cpu)
    finally:
        _stop(procs)
        await redis.aclose()
