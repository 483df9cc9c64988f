"""The router's delivery history, which the dashboard's alerts view shows to people."""

from __future__ import annotations

from collections.abc import Callable

import redis.asyncio as aioredis

from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.settings import Settings
from router.history import delivery_stats, recent_deliveries
from tests.integration.router.support import (
    Receiver,
    RunningRouter,
    make_alert,
    produce_alerts,
    quick_config,
    wait_for,
    wait_until,
)

Start = Callable[[Settings, LeadPulseConfig], RunningRouter]


async def test_history_records_tries_deliveries_and_dead_letters(
    router_settings: Callable[..., Settings], start_router: Start, redis_client: aioredis.Redis
) -> None:
    """A flaky receiver's alert is delivered on try 3 and a dead one's parked: both show,
    newest first, with the retries counted per destination."""
    async with Receiver(script=[(500, {})] * 2) as flaky, Receiver(default=404) as dead:
        flaky_settings = router_settings(webhook_url=flaky.url)
        first = make_alert()
        await produce_alerts(flaky_settings, [first])
        running = start_router(flaky_settings, quick_config())
        await wait_until(lambda: len(flaky.accepted()) == 1, 20, "never delivered")
        await running.close()

        dead_settings = router_settings(webhook_url=dead.url)
        second = make_alert()
        await produce_alerts(dead_settings, [second])
        start_router(dead_settings, quick_config())

        async def both_recorded() -> bool:
            return len(await recent_deliveries(redis_client)) == 2

        await wait_for(both_recorded, 20, "the history never held both outcomes")

    newest, oldest = await recent_deliveries(redis_client)
    assert (oldest["alert_id"], oldest["outcome"], oldest["attempts"]) == (
        first.alert_id,
        "delivered",
        3,
    )
    assert (newest["alert_id"], newest["outcome"], newest["attempts"]) == (
        second.alert_id,
        "dead",
        1,
    )
    assert "404" in newest["reason"]
    stats = await delivery_stats(redis_client)
    assert stats["default_webhook"] == {"delivered": 1, "retried": 2, "dead": 1}
