"""The scorer's health server: ready once Valkey answers and it holds partitions."""

from __future__ import annotations

from typing import Any

import httpx

from leadpulse.dev.embedded import free_port
from leadpulse.kernel.settings import Settings
from tests.integration.scorer.conftest import ScorerStarter, wait_for
from tests.unit.scorer.events import at, page


async def test_readyz_and_metrics(
    scorer_settings: Settings, produce: Any, start_scorer: ScorerStarter
) -> None:
    """/readyz turns 200 with both checks true; /metrics counts applied messages."""
    port = free_port()
    await start_scorer(scorer_settings.model_copy(update={"scorer_health_port": port}))
    await produce(page("/demo/blog/a", anon="h1", when=at(0)))
    base = f"http://127.0.0.1:{port}"

    async def ready() -> bool:
        async with httpx.AsyncClient(base_url=base, timeout=2) as client:
            try:
                response = await client.get("/readyz")
            except httpx.HTTPError:
                return False
            return response.status_code == 200 and response.json()["checks"] == {
                "valkey": True,
                "partitions": True,
            }

    await wait_for(ready, what="/readyz 200")

    async def counted() -> bool:
        async with httpx.AsyncClient(base_url=base, timeout=2) as client:
            text = (await client.get("/metrics")).text
        return 'leadpulse_scorer_messages_total{outcome="applied"}' in text

    await wait_for(counted, what="the applied message in /metrics")
    async with httpx.AsyncClient(base_url=base, timeout=2) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
