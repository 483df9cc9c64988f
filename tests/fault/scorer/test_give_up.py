"""A scorer that cannot reach Valkey stops after N failed steps in a row, for its
supervisor to restart it, instead of retrying forever."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx
import orjson

from leadpulse.dev.embedded import EmbeddedValkey, free_port
from leadpulse.kernel.kafka import ensure_topics
from tests.conftest import SettingsFactory

LEADPULSE = str(Path(sys.executable).with_name("leadpulse"))


async def _until(condition: object, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {within}s waiting for {what}")


def _start(env: dict[str, str], log_file: IO[bytes]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [LEADPULSE, "scorer"], env=env, stdout=log_file, stderr=subprocess.STDOUT
    )


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


async def test_the_scorer_exits_non_zero_after_n_failures_in_a_row(
    settings_factory: SettingsFactory, tmp_path: Path
) -> None:
    """Valkey killed under a running scorer: it backs off 3 times, logs `scorer_gave_up`
    once, and exits 1."""
    server = EmbeddedValkey(tmp_path / "valkey")
    server.start()
    settings = settings_factory(redis_url=server.url)
    await ensure_topics(settings)
    health = free_port()
    env = {
        **os.environ,
        "LP_KAFKA_BOOTSTRAP": str(settings.kafka_bootstrap),
        "LP_KAFKA_PARTITIONS": str(settings.kafka_partitions),
        "LP_REDIS_URL": server.url,
        "LP_TOPIC_EVENTS": settings.topic_events,
        "LP_TOPIC_EVENTS_DLQ": settings.topic_events_dlq,
        "LP_SCORER_GROUP": settings.scorer_group,
        "LP_SCORER_HEALTH_PORT": str(health),
        "LP_SCORER_MAX_CONSECUTIVE_FAILURES": "3",
        "LP_DATA_DIR": str(tmp_path / "data"),
        "LP_LOG_FORMAT": "json",
    }
    log_path = tmp_path / "scorer.log"
    with log_path.open("wb") as log_file:
        scorer = _start(env, log_file)
        try:
            await _until(lambda: _ready(health), 60, "the scorer to hold its partitions")
            server.kill()
            await _until(lambda: scorer.poll() is not None, 60, "the scorer to exit")
        finally:
            if scorer.poll() is None:
                scorer.kill()
                scorer.wait(10)
            server.stop()
    assert scorer.returncode == 1
    lines = [orjson.loads(line) for line in log_path.read_bytes().splitlines() if line[:1] == b"{"]
    gave_up = [line for line in lines if line.get("event") == "scorer_gave_up"]
    assert len(gave_up) == 1
    assert gave_up[0]["failures"] == 3
    assert gave_up[0]["level"] == "error"
    assert b"Traceback" not in log_path.read_bytes()
