"""Session fixtures: a real Tansu broker and real Valkey servers on free ports.

A server that cannot start fails the run; nothing here skips. Each test gets its own
topics and consumer groups (`settings_factory`), and Valkey is flushed between tests.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from pydantic import SecretStr

from leadpulse.dev.embedded import EmbeddedBroker, EmbeddedValkey, EmbeddedValkeyCluster
from leadpulse.kernel.settings import Settings
from tests.scheduling import (
    WHOLE_STACK_GROUP,
    StackGroupScheduling,
    in_whole_stack_group,
    start_rank,
)

WRITE_KEY = "wk_test_public"
SECRET_KEY = "sk_test_secret"
TOKEN_SECRET = "token-secret-for-tests"
WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture(scope="session")
def broker() -> Iterator[EmbeddedBroker]:
    server = EmbeddedBroker()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def valkey(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedValkey]:
    server = EmbeddedValkey(tmp_path_factory.mktemp("valkey"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def valkey_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedValkeyCluster]:
    cluster = EmbeddedValkeyCluster(tmp_path_factory.mktemp("valkey-cluster"))
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
async def redis_client(valkey: EmbeddedValkey) -> AsyncIterator[aioredis.Redis]:
    """A client to the single-node Valkey, flushed before the test."""
    client = aioredis.Redis.from_url(valkey.url)
    await client.flushall()
    yield client
    await client.aclose()


@pytest.fixture(params=["single", "cluster"])
async def redis_target(request: pytest.FixtureRequest) -> AsyncIterator[tuple[str, bool]]:
    """(url, cluster?) for tests that must pass on one node and on a 3-node cluster."""
    if request.param == "single":
        server: EmbeddedValkey = request.getfixturevalue("valkey")
        client = aioredis.Redis.from_url(server.url)
        await client.flushall()
        await client.aclose()
        yield server.url, False
    else:
        cluster: EmbeddedValkeyCluster = request.getfixturevalue("valkey_cluster")
        for node in cluster.nodes:
            client = aioredis.Redis.from_url(node.url)
            await client.flushall()
            await client.aclose()
        yield cluster.url, True


SettingsFactory = Callable[..., Settings]


@pytest.fixture
def settings_factory(broker: EmbeddedBroker, tmp_path: Path) -> SettingsFactory:
    """Settings on the test broker with topics and groups unique to this test."""

    def make(**overrides: Any) -> Settings:
        suffix = uuid.uuid4().hex[:10]
        values: dict[str, Any] = {
            "kafka_bootstrap": broker.bootstrap,
            "kafka_partitions": 3,
            "topic_events": f"t{suffix}.events",
            "topic_alerts": f"t{suffix}.alerts",
            "topic_dlq": f"t{suffix}.dlq",
            "topic_lead_changes": f"t{suffix}.lead-changes",
            "topic_crm_dlq": f"t{suffix}.crm-dlq",
            "topic_outcomes": f"t{suffix}.outcomes",
            "topic_events_dlq": f"t{suffix}.events-dlq",
            "scorer_group": f"g{suffix}.scorer",
            "router_group": f"g{suffix}.router",
            "data_dir": tmp_path / "data",
            "write_key": SecretStr(WRITE_KEY),
            "secret_key": SecretStr(SECRET_KEY),
            "token_secret": SecretStr(TOKEN_SECRET),
            "session_secret": SecretStr("session-secret-for-tests"),
            "log_format": "json",
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return make


# Tests that start a whole `leadpulse dev` stack (or hold its default ports) run one after
# another on one worker when the suite runs in parallel (`-n N --dist loadgroup`), and the
# slowest tests start first (tests/scheduling.py).
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if in_whole_stack_group(item.nodeid):
            item.add_marker(pytest.mark.xdist_group(WHOLE_STACK_GROUP))
    items.sort(key=start_rank)  # stable: the others keep their order


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> StackGroupScheduling | None:
    if config.getvalue("dist") != "loadgroup":
        return None
    return StackGroupScheduling(config, log)
