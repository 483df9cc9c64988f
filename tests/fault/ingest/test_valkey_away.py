"""Valkey away at the edge: every channel that needs it answers 503 with Retry-After (the
client retries later), never 500, and works again once Valkey is back. A cluster with no
reachable node raises `RedisClusterException`, which is not a `RedisError`: both shapes."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from leadpulse.dev.embedded import EmbeddedValkey, EmbeddedValkeyCluster, free_port
from tests.conftest import WRITE_KEY, SettingsFactory
from tests.integration.ingest.conftest import serve

TRACK = {"anonymousId": "a-away", "event": "Pricing Viewed"}


async def _track(client: httpx.AsyncClient) -> httpx.Response:
    return await client.post("/v1/track", json=TRACK, auth=(WRITE_KEY, ""))


def _refused_for_now(answer: httpx.Response) -> None:
    assert answer.status_code == 503, answer.text
    assert int(answer.headers["retry-after"]) > 0
    assert "suppression" in answer.text


async def test_the_edge_answers_503_while_its_valkey_is_down(
    settings_factory: SettingsFactory, tmp_path: Path
) -> None:
    own = EmbeddedValkey(tmp_path / "valkey")
    own.start()
    try:
        settings = settings_factory(redis_url=own.url, http_port=free_port())
        async with serve(settings) as edge, edge.client() as client:
            assert (await _track(client)).status_code == 200
            own.kill()
            _refused_for_now(await _track(client))
            assert (await client.get("/readyz")).status_code == 503
            own.restart()
            assert (await _track(client)).status_code == 200
    finally:
        own.stop()


@pytest.mark.cluster
async def test_the_edge_answers_503_while_no_cluster_node_answers(
    settings_factory: SettingsFactory, tmp_path: Path
) -> None:
    cluster = EmbeddedValkeyCluster(tmp_path / "cluster")
    cluster.start()
    try:
        settings = settings_factory(
            redis_url=cluster.url, redis_cluster=True, http_port=free_port()
        )
        async with serve(settings) as edge, edge.client() as client:
            assert (await _track(client)).status_code == 200
            cluster.stop()
            _refused_for_now(await _track(client))
            assert (await client.get("/readyz")).status_code == 503
    finally:
        cluster.stop()
