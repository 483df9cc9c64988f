"""Valkey down while alerts arrive: the router waits and retries, loses and repeats nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from leadpulse.dev.embedded import EmbeddedValkey
from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.settings import Settings
from router import metrics
from tests.integration.router.support import (
    Receiver,
    RunningRouter,
    make_alert,
    produce_alerts,
    quick_config,
    wait_until,
)

Start = Callable[[Settings, LeadPulseConfig], RunningRouter]


def _handling_errors() -> float:
    return metrics.HANDLING_ERRORS._value.get()


async def test_alerts_wait_out_a_valkey_outage_and_go_out_once(
    router_settings: Callable[..., Settings], start_router: Start, tmp_path: Path
) -> None:
    """With Valkey stopped nothing is sent (no record possible); once back, each goes once."""
    own = EmbeddedValkey(tmp_path / "valkey")
    own.start()
    try:
        async with Receiver() as receiver:
            settings = router_settings(webhook_url=receiver.url, redis_url=own.url)
            before = make_alert()
            await produce_alerts(settings, [before])
            start_router(settings, quick_config())
            await wait_until(lambda: len(receiver.accepted()) == 1, 20, "first alert missing")

            await asyncio.to_thread(own.stop)
            errors = _handling_errors()
            during = make_alert()
            await produce_alerts(settings, [during])
            await wait_until(lambda: _handling_errors() >= errors + 2, 20, "no retries seen")
            assert len(receiver.received) == 1

            await asyncio.to_thread(own.restart)
            await wait_until(lambda: len(receiver.accepted()) == 2, 30, "alert lost in outage")
            assert [r.webhook_id for r in receiver.received] == [before.alert_id, during.alert_id]
    finally:
        own.stop()
