"""End-to-end alert latency: an event accepted by ingest -> its webhook at a local receiver.

Starts `leadpulse dev` (embedded Tansu + Valkey, ingest, scorer, router as processes) with
LP_WEBHOOK_URL pointing at a receiver in this process, runs a background load of page views
(default 600 events/s in Segment batches), and meanwhile sends `Demo Requested` probes for
new leads (a fast pass to MQL, so each makes exactly one alert). For each probe the latency
is from the moment ingest answered 2xx to the moment the signed webhook arrived (verified).

    .venv/bin/python bench/alerts.py [--probes 200] [--load 600] [--probe-rate 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
import uvicorn
from standardwebhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadpulse.dev.embedded import free_port
from leadpulse.kernel.health import QuietServer

WRITE_KEY = "wk_bench_public"
SECRET_KEY = "sk_bench_secret"
WEBHOOK_SECRET = "whsec_YmVuY2gtd2ViaG9vay1zZWNyZXQtMTIzNDU2Nzg="
UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)
PAGES = ["/demo/", "/demo/blog/trends", "/demo/product", "/demo/guides/buying", "/demo/careers"]


class Arrivals:
    """The receiver: webhook arrival time per lead email, signatures verified."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.unverified = 0
        self.waiters: dict[str, asyncio.Future[float]] = {}
        self._webhook = Webhook(WEBHOOK_SECRET)

    async def handle(self, request: Request) -> Response:
        arrived = time.monotonic()
        body = await request.body()
        try:
            self._webhook.verify(body, dict(request.headers))
        except Exception:  # noqa: BLE001 - counted and reported
            self.unverified += 1
        email = (orjson.loads(body).get("lead") or {}).get("email") or ""
        self.at.setdefault(email, arrived)
        waiter = self.waiters.get(email)
        if waiter is not None and not waiter.done():
            waiter.set_result(arrived)
        return Response(status_code=204)


async def _serve(arrivals: Arrivals, port: int) -> tuple[QuietServer, asyncio.Task[None]]:
    app = Starlette(routes=[Route("/hooks", arrivals.handle, methods=["POST"])])
    server = QuietServer(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:  # noqa: ASYNC110 - uvicorn has no event
        await asyncio.sleep(0.05)
    return server, task


def _start_dev(port: int, hook_port: int, data_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LP_")}
    env.update(
        {
            "LP_HTTP_PORT": str(port),
            "LP_DATA_DIR": str(data_dir),
            "LP_WRITE_KEY": WRITE_KEY,
            "LP_SECRET_KEY": SECRET_KEY,
            "LP_WEBHOOK_URL": f"http://127.0.0.1:{hook_port}/hooks",
            "LP_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "LP_LOG_FORMAT": "json",
            "LP_LOG_LEVEL": "warning",
        }
    )
    handle = log.open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "leadpulse", "dev"], env=env, stdout=handle, stderr=handle
    )


async def _wait_ready(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"leadpulse dev exited with {proc.returncode}")
            try:
                if (await client.get(f"{base}/readyz", timeout=1)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.3)
    raise SystemExit("leadpulse dev never became ready")


def _page(anon: str) -> dict[str, Any]:
    path = PAGES[hash(anon) % len(PAGES)]
    return {
        "type": "page",
        "anonymousId": anon,
        "messageId": str(uuid.uuid4()),
        "properties": {"url": f"http://127.0.0.1/{path}", "path": path},
        "context": {"userAgent": UA},
    }


async def _load(client: httpx.AsyncClient, rate: float, stop: asyncio.Event, sent: list[int]):
    """Page views from many anonymous visitors, `rate` events/s in batches of 50."""
    batch_size = 50
    started = time.monotonic()
    visitors = [f"bench-{uuid.uuid4().hex[:10]}" for _ in range(5000)]
    n = 0
    while not stop.is_set():
        batch = [_page(visitors[(n + i) % len(visitors)]) for i in range(batch_size)]
        response = await client.post("/v1/batch", json={"batch": batch}, auth=(WRITE_KEY, ""))
        if response.status_code == 200:
            sent[0] += int(response.json().get("accepted", 0))
        n += batch_size
        ahead = n / rate - (time.monotonic() - started)
        if ahead > 0:
            await asyncio.sleep(ahead)


async def _probe(client: httpx.AsyncClient, arrivals: Arrivals, wait_s: float) -> float | None:
    """One new lead requests a demo; seconds from ingest's 2xx to the webhook, or None."""
    email = f"probe-{uuid.uuid4().hex[:12]}@bench.example"
    anon = f"probe-{uuid.uuid4().hex[:12]}"
    waiter: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    arrivals.waiters[email] = waiter
    event = {
        "type": "track",
        "event": "Demo Requested",
        "anonymousId": anon,
        "messageId": str(uuid.uuid4()),
        "properties": {"form": "demo"},
        "context": {"userAgent": UA, "traits": {"email": email, "title": "VP Marketing"}},
        "traits": {"email": email},
    }
    identify = {
        "type": "identify",
        "anonymousId": anon,
        "messageId": str(uuid.uuid4()),
        "traits": {"email": email, "title": "VP Marketing", "country": "DE"},
        "context": {"userAgent": UA},
    }
    response = await client.post(
        "/v1/batch", json={"batch": [identify, event]}, auth=(WRITE_KEY, "")
    )
    accepted = time.monotonic()
    if response.status_code != 200 or response.json().get("accepted") != 2:
        return None
    try:
        arrived = await asyncio.wait_for(waiter, wait_s)
    except TimeoutError:
        return None
    finally:
        arrivals.waiters.pop(email, None)
    return arrived - accepted


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main(args: argparse.Namespace) -> int:
    arrivals = Arrivals()
    hook_port, port = free_port(), free_port()
    server, server_task = await _serve(arrivals, hook_port)
    work = Path(tempfile.mkdtemp(prefix="lp-bench-alerts-"))
    proc = _start_dev(port, hook_port, work / "data", work / "dev.log")
    base = f"http://127.0.0.1:{port}"
    try:
        await _wait_ready(base, proc)
        limits = httpx.Limits(max_connections=20)
        async with httpx.AsyncClient(
            base_url=base, limits=limits, timeout=10, headers={"user-agent": UA}
        ) as client:
            # Warm up: the first alert pays for consumer-group joins and connections.
            await _probe(client, arrivals, 60)
            stop = asyncio.Event()
            sent = [0]
            load = asyncio.create_task(_load(client, args.load, stop, sent))
            await asyncio.sleep(2)
            load_started, sent_before = time.monotonic(), sent[0]
            probes: list[asyncio.Task[float | None]] = []
            for _ in range(args.probes):
                probes.append(asyncio.create_task(_probe(client, arrivals, 30)))
                await asyncio.sleep(1 / args.probe_rate)
            results = await asyncio.gather(*probes)
            load_rate = (sent[0] - sent_before) / (time.monotonic() - load_started)
            stop.set()
            await load
        latencies = [r for r in results if r is not None]
        lost = len(results) - len(latencies)
        print(f"background load: {load_rate:,.0f} events/s accepted by ingest")
        print(f"probes: {len(results)} sent, {len(latencies)} webhooks received, {lost} missing")
        print(f"unverified webhooks: {arrivals.unverified}")
        if latencies:
            print(
                f"event accepted -> webhook received: p50 {_pct(latencies, 0.5) * 1000:.0f} ms, "
                f"p99 {_pct(latencies, 0.99) * 1000:.0f} ms, "
                f"max {max(latencies) * 1000:.0f} ms, "
                f"mean {statistics.mean(latencies) * 1000:.0f} ms"
            )
        return 0 if latencies and not lost and not arrivals.unverified else 1
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        server.should_exit = True
        await server_task


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--load", type=float, default=600, help="background events/s")
    parser.add_argument("--probe-rate", type=float, default=10, help="probes per second")
    sys.exit(asyncio.run(main(parser.parse_args())))
