"""The router SIGKILLed while HubSpot holds a batch it already applied: after the restart
every write lands and none is applied twice (the unfinished batch is read back)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
import yaml

from leadpulse.dev.embedded import free_port
from leadpulse.kernel.config import default_config_path
from leadpulse.kernel.settings import Settings
from tests.integration.router.crm_support import change, new_lead, produce_changes
from tests.integration.router.support import wait_for, wait_until
from tests.vendors.hubspot_api import HubSpotServer

pytestmark = pytest.mark.timeout(150)

LEADS = 30


def _config_file(tmp_path: Path) -> Path:
    raw = yaml.safe_load(default_config_path().read_text(encoding="utf-8"))
    raw["routing"]["destinations"] = [{"name": "hubspot", "type": "hubspot"}]
    raw["crm"] = {
        "hubspot": {
            "batch_size": 10,
            "linger_seconds": 0.2,
            "retry": {"attempts": 5, "base_seconds": 0.05, "cap_seconds": 0.5},
        }
    }
    path = tmp_path / "router.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def _env(settings: Settings, hubspot: HubSpotServer, config: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LP_")}
    env.update(
        {
            "LP_KAFKA_BOOTSTRAP": str(settings.kafka_bootstrap),
            "LP_REDIS_URL": str(settings.redis_url),
            "LP_TOPIC_EVENTS": settings.topic_events,
            "LP_TOPIC_ALERTS": settings.topic_alerts,
            "LP_TOPIC_DLQ": settings.topic_dlq,
            "LP_TOPIC_LEAD_CHANGES": settings.topic_lead_changes,
            "LP_TOPIC_CRM_DLQ": settings.topic_crm_dlq,
            "LP_KAFKA_PARTITIONS": str(settings.kafka_partitions),
            "LP_ROUTER_GROUP": settings.router_group,
            "LP_ROUTER_HEALTH_PORT": str(free_port()),
            "LP_HUBSPOT_TOKEN": hubspot.token,
            "LP_HUBSPOT_BASE_URL": hubspot.url,
            "LP_CONFIG": str(config),
            "LP_DATA_DIR": str(settings.data_dir),
            "LP_LOG_FORMAT": "json",
        }
    )
    return env


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


async def test_sigkill_mid_batch_lands_every_write_once(
    router_settings: Callable[..., Settings],
    spawn: Callable[[dict[str, str]], subprocess.Popen[bytes]],
    redis_client: aioredis.Redis,
    tmp_path: Path,
) -> None:
    """Kill -9 after HubSpot applied a batch and before it answered; restart; all once."""
    async with HubSpotServer(answer_delay=30.0) as hubspot:
        settings = router_settings(webhook_url=None)
        env = _env(settings, hubspot, _config_file(tmp_path))
        changes = [change(new_lead(), 0) for _ in range(LEADS)]
        await produce_changes(settings, changes)

        first = spawn(env)
        await wait_until(lambda: len(hubspot.applied) >= 1, 60, "no batch was applied")
        first.kill()
        first.wait()
        hubspot.answer_delay = 0.0
        applied_before_kill = len(hubspot.applied)
        assert 0 < applied_before_kill < LEADS
        assert await redis_client.hlen("lp:crm:inflight:{hubspot}") == 1, "no batch in flight"

        spawn(env)
        await wait_until(
            lambda: all(
                hubspot.contacts.get(c.email or "", {}).get("leadpulse_change_id") == c.change_id
                for c in changes
            ),
            90,
            "not every write landed after the restart",
        )
        applied = Counter((a.email, a.properties["leadpulse_change_id"]) for a in hubspot.applied)
        assert len(applied) == LEADS
        assert set(applied.values()) == {1}, "a write was applied twice"
        await wait_until_empty(redis_client)


async def wait_until_empty(redis_client: aioredis.Redis) -> None:
    async def settled() -> bool:
        return await redis_client.hlen("lp:crm:inflight:{hubspot}") == 0

    await wait_for(settled, 30, "the batch in flight was never settled")
