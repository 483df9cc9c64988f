"""`leadpulse ingest --workers 2` (uvicorn workers from the env factory) serves the same edge."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import BinaryIO

import httpx
import pytest

from leadpulse.dev.embedded import EmbeddedValkey, free_port
from tests.conftest import SECRET_KEY, TOKEN_SECRET, WRITE_KEY, SettingsFactory
from tests.integration.ingest.conftest import consume_ids

pytestmark = pytest.mark.timeout(90)


def _start(command: list[str], env: dict[str, str], log: BinaryIO) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


async def test_two_workers_from_the_env_factory_accept_and_publish(
    settings_factory: SettingsFactory, valkey: EmbeddedValkey, redis_client: object, tmp_path: Path
) -> None:
    """Two workers built from LP_* variables take requests, publish them all, and report one
    set of metrics."""
    settings = settings_factory(redis_url=valkey.url)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LP_")} | {
        "LP_KAFKA_BOOTSTRAP": str(settings.kafka_bootstrap),
        "LP_KAFKA_PARTITIONS": "3",
        "LP_TOPIC_EVENTS": settings.topic_events,
        "LP_TOPIC_ALERTS": settings.topic_alerts,
        "LP_TOPIC_DLQ": settings.topic_dlq,
        "LP_REDIS_URL": valkey.url,
        "LP_DATA_DIR": str(tmp_path / "workers"),
        "LP_WRITE_KEY": WRITE_KEY,
        "LP_SECRET_KEY": SECRET_KEY,
        "LP_TOKEN_SECRET": TOKEN_SECRET,
    }
    env |= {"LP_HTTP_PORT": str(port)}
    command = [sys.executable, "-m", "leadpulse", "ingest", "--workers", "2"]
    log = (tmp_path / "workers.log").open("wb")
    proc = _start(command, env, log)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            deadline = time.monotonic() + 40
            while True:
                assert proc.poll() is None, (tmp_path / "workers.log").read_text()[-2000:]
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "workers never became ready"
                await asyncio.sleep(0.1)
            ids = [f"w-{n}" for n in range(40)]
            answers = await asyncio.gather(
                *(
                    client.post(
                        "/v1/track",
                        json={"anonymousId": f"a{n}", "event": "Signed Up", "messageId": i},
                        auth=(WRITE_KEY, ""),
                    )
                    for n, i in enumerate(ids)
                )
            )
            assert {a.status_code for a in answers} == {200}
            # Whichever worker answers /metrics, it counts the events both workers took.
            for _ in range(4):
                metrics = (await client.get("/metrics")).text
                assert 'leadpulse_ingest_events_accepted_total{source="segment"} 40.0' in metrics
        found = await consume_ids(settings, set(ids), timeout=30)
        assert sorted(event.event_id for event in found) == sorted(ids)
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.to_thread(proc.wait, 30)
        log.close()
    slots = sorted(p.name for p in (tmp_path / "workers" / "spool").iterdir())
    assert slots == ["w0", "w1"]  # one spool slot per worker, never shared
