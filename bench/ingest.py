"""Benchmark the collection edge against a bare edge on the same broker, in the same run.

    python bench/ingest.py [--seconds 10] [--rounds 6] [--concurrency 16]

Starts its own Tansu broker and Valkey, then for `/v1/batch` (100-event batches) and
`/v1/track` (one event a request) measures events/s and request latency (p50/p99) of:
- ingest: the real app (auth, strict parsing, validation, enrichment, suppression check,
  acks=all publish), one uvicorn worker;
- bare: a raw ASGI app, one uvicorn worker, that only splits the same request into the same
  per-event bytes and produces them to the same broker with the same producer options.
Each server runs in its own process; the load comes from this one. The edges take turns
in short slices, so a change in the machine's load falls on both alike. Prints the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from leadpulse.dev.embedded import (  # noqa: E402
    EmbeddedBroker,
    EmbeddedValkey,
    free_port,
    wait_for_port,
)

WRITE_KEY = "wk_bench"
UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


# --- the bare edge: raw ASGI, no framework, same producer options ------------------------


def bare_app_factory() -> Any:
    from aiokafka import AIOKafkaProducer

    from leadpulse.kernel.kafka import producer_options
    from leadpulse.kernel.settings import Settings

    settings = Settings()
    producer: AIOKafkaProducer | None = None
    topic = settings.topics.events

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        nonlocal producer
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    producer = AIOKafkaProducer(**producer_options(settings, linger_ms=1))
                    await producer.start()
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    assert producer is not None
                    await producer.stop()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        data = orjson.loads(body)
        items = data["batch"] if scope["path"] == "/v1/batch" else [data]
        assert producer is not None
        futures = [
            await producer.send(
                topic, orjson.dumps(item), key=str(item.get("anonymousId", "")).encode()
            )
            for item in items
        ]
        await asyncio.gather(*futures)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"success":true}'})

    return app


# --- load -----------------------------------------------------------------------------------


def _event(n: int) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    return {
        "type": "track",
        "event": "Content Downloaded",
        "anonymousId": f"visitor-{n % 5000}",
        "messageId": str(uuid.uuid4()),
        "timestamp": now,
        "properties": {"asset": "buying-guide.pdf", "url": "https://site.example/guides/x"},
        "context": {"userAgent": UA, "page": {"path": "/guides/x"}},
    }


async def _load(
    base: str, path: str, per_request: int, seconds: float, concurrency: int
) -> tuple[int, float, list[float]]:
    """Drive `path` for `seconds` with `concurrency` requests in flight: events, time taken,
    request latencies."""
    latencies: list[float] = []
    events = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:

        async def worker(w: int) -> None:
            nonlocal events
            n = w * 10_000_000
            while time.perf_counter() < deadline:
                if per_request == 1:
                    body = orjson.dumps(_event(n))
                else:
                    body = orjson.dumps({"batch": [_event(n + i) for i in range(per_request)]})
                n += per_request
                started = time.perf_counter()
                response = await client.post(
                    path,
                    content=body,
                    auth=(WRITE_KEY, ""),
                    headers={"Content-Type": "application/json", "User-Agent": UA},
                )
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise RuntimeError(f"{path}: {response.status_code} {response.text[:200]}")
                events += per_request

        started = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(concurrency)))
        elapsed = time.perf_counter() - started
    return events, elapsed, latencies


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


# --- orchestration --------------------------------------------------------------------------


def _serve(factory: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        "--no-proxy-headers",
    ]
    with log.open("ab") as out:
        proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    wait_for_port(port, 30, proc)
    return proc


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def _wait_ready(base: str) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=2) as client:
        for _ in range(200):
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{base} never became ready")


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="per measurement")
    parser.add_argument(
        "--rounds", type=int, default=6, help="slices per measurement, taken in turn by the edges"
    )
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="lp-bench-"))
    broker = EmbeddedBroker()
    valkey = EmbeddedValkey(work / "valkey")
    broker.start()
    valkey.start()
    suffix = uuid.uuid4().hex[:8]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LP_")} | {
        "LP_KAFKA_BOOTSTRAP": broker.bootstrap,
        "LP_KAFKA_PARTITIONS": "6",
        "LP_TOPIC_EVENTS": f"bench{suffix}.events",
        "LP_TOPIC_ALERTS": f"bench{suffix}.alerts",
        "LP_TOPIC_DLQ": f"bench{suffix}.dlq",
        "LP_REDIS_URL": valkey.url,
        "LP_DATA_DIR": str(work / "data"),
        "LP_WRITE_KEY": WRITE_KEY,
        "LP_SECRET_KEY": "sk_bench",
        "LP_TOKEN_SECRET": "bench",
        "LP_LOG_LEVEL": "warning",
        "PYTHONPATH": str(ROOT),
    }
    ingest_port, bare_port = free_port(), free_port()
    servers = []
    try:
        servers.append(
            _serve("ingest.app:create_app_from_env", ingest_port, env, work / "ingest.log")
        )
        servers.append(_serve("bench.ingest:bare_app_factory", bare_port, env, work / "bare.log"))
        await _wait_ready(f"http://127.0.0.1:{ingest_port}")
        results: dict[tuple[str, str], tuple[float, list[float]]] = {}
        cpu: dict[tuple[str, str], float] = {}
        pids = {"ingest": servers[0].pid, "bare": servers[1].pid}
        plan = [
            ("batch", "/v1/batch", 100, max(2, args.concurrency // 4)),
            ("track", "/v1/track", 1, args.concurrency),
        ]
        ports = {"bare": bare_port, "ingest": ingest_port}
        for label, path, per_request, concurrency in plan:
            for edge in ("bare", "ingest"):
                await _load(f"http://127.0.0.1:{ports[edge]}", path, per_request, 2.0, concurrency)
            # Slices taken in turn (bare, ingest, ingest, bare, ...) so both edges see the same
            # background load: one edge measured entirely before the other let a change in
            # the machine's load between the two move the ratio by 0.2.
            events = {"bare": 0, "ingest": 0}
            elapsed = {"bare": 0.0, "ingest": 0.0}
            latencies: dict[str, list[float]] = {"bare": [], "ingest": []}
            used = {"bare": 0.0, "ingest": 0.0}
            for turn in range(args.rounds):
                order = ("bare", "ingest") if turn % 2 == 0 else ("ingest", "bare")
                for edge in order:
                    before = _cpu_seconds(pids[edge])
                    sent, took, slice_latencies = await _load(
                        f"http://127.0.0.1:{ports[edge]}",
                        path,
                        per_request,
                        args.seconds / args.rounds,
                        concurrency,
                    )
                    used[edge] += _cpu_seconds(pids[edge]) - before
                    events[edge] += sent
                    elapsed[edge] += took
                    latencies[edge] += slice_latencies
            for edge in ("bare", "ingest"):
                results[(label, edge)] = (events[edge] / elapsed[edge], latencies[edge])
                cpu[(label, edge)] = used[edge] / events[edge] * 1e6
        print(
            f"\nLeadPulse ingest benchmark ({args.seconds:.0f}s each, 1 worker per edge, acks=all)"
        )
        print(
            f"{'endpoint':<22}{'edge':<8}{'events/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
            f"{'server CPU us/event':>21}"
        )
        for label, path, per_request, concurrency in plan:
            for edge in ("bare", "ingest"):
                rate, lat = results[(label, edge)]
                name = f"{path} x{per_request} c{concurrency}"
                print(
                    f"{name:<22}{edge:<8}{rate:>10,.0f}{_pct(lat, 0.5):>9.1f}"
                    f"{_pct(lat, 0.99):>9.1f}{cpu[(label, edge)]:>21.0f}"
                )
        for label, *_ in plan:
            ratio = results[(label, "ingest")][0] / results[(label, "bare")][0]
            print(
                f"ratio {label}: ingest/bare = {ratio:.2f}"
                + ("  (goal >= 0.5)" if label == "batch" else "")
            )
        for label, *_ in plan:
            share = cpu[(label, "bare")] / cpu[(label, "ingest")]
            print(
                f"CPU-efficiency {label}: bare CPU per event / ingest CPU per event = {share:.2f}"
            )
    finally:
        for server in servers:
            _stop(server)
        valkey.stop()
        broker.stop()


if __name__ == "__main__":
    asyncio.run(main())
