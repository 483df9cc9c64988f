"""The router process SIGKILLed mid-delivery: after a restart everything is delivered, and
nothing goes twice to the receiver for an alert whose 2xx had been recorded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
import yaml
from standardwebhooks import Webhook

from leadpulse.dev.embedded import free_port
from leadpulse.kernel.config import default_config_path
from leadpulse.kernel.settings import Settings
from router.store import RouterStore
from tests.conftest import WEBHOOK_SECRET
from tests.integration.router.support import (
    Receiver,
    committed_total,
    make_alert,
    produce_alerts,
    wait_for,
    wait_until,
)

pytestmark = pytest.mark.timeout(150)

ALERTS = 40


def _config_file(tmp_path: Path) -> Path:
    raw = yaml.safe_load(default_config_path().read_text(encoding="utf-8"))
    raw["routing"]["throttle_minutes"] = 0
    raw["routing"]["retry"] = {"attempts": 5, "base_seconds": 0.05, "cap_seconds": 0.5}
    path = tmp_path / "router.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def _env(settings: Settings, receiver_url: str, config: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LP_")}
    env.update(
        {
            "LP_KAFKA_BOOTSTRAP": str(settings.kafka_bootstrap),
            "LP_REDIS_URL": str(settings.redis_url),
            "LP_TOPIC_EVENTS": settings.topic_events,
            "LP_TOPIC_ALERTS": settings.topic_alerts,
            "LP_TOPIC_DLQ": settings.topic_dlq,
            "LP_KAFKA_PARTITIONS": str(settings.kafka_partitions),
            "LP_ROUTER_GROUP": settings.router_group,
            "LP_ROUTER_HEALTH_PORT": str(free_port()),
            "LP_WEBHOOK_URL": receiver_url,
            "LP_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "LP_CONFIG": str(config),
            "LP_DATA_DIR": str(settings.data_dir),
            "LP_LOG_FORMAT": "json",
        }
    )
    return env


async def _all_committed(settings: Settings) -> bool:
    return await committed_total(settings) == ALERTS


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], subprocess.Popen[bytes]]]:
    """Start `leadpulse router` processes; any still running at the end is stopped."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"router-{len(procs)}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "leadpulse", "router"], env=env, stdout=log, stderr=log
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def test_sigkill_mid_delivery_loses_nothing_and_repeats_nothing_recorded(
    router_settings: Callable[..., Settings],
    spawn: Callable[[dict[str, str]], subprocess.Popen[bytes]],
    redis_client: aioredis.Redis,
    tmp_path: Path,
) -> None:
    """Kill -9 with deliveries in flight; restart; every alert arrives, recorded ones once."""
    async with Receiver(delay=0.05, serial=True) as receiver:
        settings = router_settings(webhook_url=receiver.url)
        env = _env(settings, receiver.url, _config_file(tmp_path))
        alerts = [make_alert() for _ in range(ALERTS)]
        await produce_alerts(settings, alerts)

        first = spawn(env)
        await wait_until(lambda: len(receiver.received) >= ALERTS // 4, 60, "no deliveries")
        first.kill()
        first.wait()
        received_before_kill = len(receiver.received)

        store = RouterStore(redis_client)
        recorded = {
            alert.alert_id
            for alert in alerts
            if (await store.outcomes(alert.alert_id)).get("default_webhook") == "delivered"
        }
        assert recorded, "the kill came before any delivery was recorded"
        assert len(recorded) < ALERTS, "the kill came after everything was delivered"

        spawn(env)
        wanted = {alert.alert_id for alert in alerts}
        await wait_until(
            lambda: {r.webhook_id for r in receiver.accepted()} == wanted,
            90,
            "not every alert was delivered after the restart",
        )
        await wait_for(lambda: _all_committed(settings), 30, "offsets never all committed")
        after_restart = {r.webhook_id for r in receiver.received[received_before_kill:]}
        assert not recorded & after_restart, "a recorded delivery was sent again"
        assert recorded | after_restart == wanted
        for request in receiver.received:
            Webhook(WEBHOOK_SECRET).verify(request.body, request.headers)
