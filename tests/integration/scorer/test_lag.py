"""The scorer's lag metric: from the fetch's high watermark, 0 once caught up."""

from __future__ import annotations

from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from leadpulse.dev.embedded import free_port
from leadpulse.kernel.settings import Settings
from tests.integration.scorer.conftest import ScorerStarter, wait_for
from tests.integration.scorer.test_log_reset import offsets_sum
from tests.unit.scorer.events import at, page


async def _lag(base: str) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=base, timeout=2) as client:
        text = (await client.get("/metrics")).text
    return {
        sample.labels["partition"]: sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "leadpulse_scorer_lag_messages"
        for sample in family.samples
    }


async def test_lag_is_zero_once_every_event_is_applied(
    scorer_settings: Settings, produce: Any, start_scorer: ScorerStarter, redis: Any
) -> None:
    """Hundreds of events in many broker batches (whose ListOffsets end is short on the
    embedded broker): once all are applied, every partition reports 0, none below."""
    port = free_port()
    await produce(*[page(f"/demo/blog/{i}", anon=f"l{i % 40}", when=at(i)) for i in range(400)])
    await start_scorer(scorer_settings.model_copy(update={"scorer_health_port": port}))
    await wait_for(lambda: offsets_sum(redis, scorer_settings, 400), what="400 applied")
    base = f"http://127.0.0.1:{port}"

    async def settled() -> bool:
        lag = await _lag(base)
        return len(lag) == scorer_settings.kafka_partitions and set(lag.values()) == {0.0}

    await wait_for(settled, what="lag 0 on every partition")
