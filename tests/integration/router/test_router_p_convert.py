"""A route on `p_convert` sends likely buyers to an account executive, through the router."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.config.routing import Destination, Route
from leadpulse.kernel.settings import Settings
from tests.conftest import WEBHOOK_SECRET
from tests.integration.router.support import (
    Receiver,
    RunningRouter,
    committed_total,
    make_alert,
    produce_alerts,
    quick_config,
    wait_for,
    wait_until,
)

Start = Callable[[Settings, LeadPulseConfig], RunningRouter]


async def test_alerts_with_p_convert_at_least_0_3_go_to_the_ae(
    router_settings: Callable[..., Settings],
    start_router: Start,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Route `min_p_convert: 0.3` -> the AE's webhook: it gets the 0.62 lead's alert only,
    not the 0.1 one nor the one without a prediction; the default webhook gets all three."""
    monkeypatch.setenv("LP_AE_SECRET", WEBHOOK_SECRET)
    async with Receiver() as ae, Receiver() as everyone:
        settings = router_settings(webhook_url=everyone.url)
        hot, cold, unknown = (
            make_alert(lead={"prediction": {"p_convert": 0.62, "tier": 1}}),
            make_alert(lead={"prediction": {"p_convert": 0.1, "tier": 4}}),
            make_alert(lead={"prediction": None}),
        )
        await produce_alerts(settings, [hot, cold, unknown])
        destination = Destination(
            name="ae", type="webhook", url=ae.url, secret_env="LP_AE_SECRET", allow_private=True
        )
        config = quick_config(
            destinations=[destination],
            routes=[Route(min_p_convert=0.3, destinations=["ae"])],
        )
        start_router(settings, config)
        await wait_until(lambda: len(everyone.accepted()) == 3, 20, "default webhook missed some")

        async def all_committed() -> bool:
            return await committed_total(settings) == 3

        await wait_for(all_committed, 20, "offsets never committed")
        assert [r.webhook_id for r in ae.accepted()] == [hot.alert_id]
