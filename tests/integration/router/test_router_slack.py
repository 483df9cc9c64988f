"""Slack delivery through slack_sdk to a real local HTTP receiver standing in for Slack."""

from __future__ import annotations

from collections.abc import Callable

from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.settings import Settings
from tests.integration.router.support import (
    Receiver,
    RunningRouter,
    make_alert,
    produce_alerts,
    quick_config,
    wait_until,
)

Start = Callable[[Settings, LeadPulseConfig], RunningRouter]


async def test_slack_gets_block_kit_with_lead_score_reasons_and_link(
    router_settings: Callable[..., Settings], start_router: Start
) -> None:
    """The Slack message names lead, account, score, reasons, and links the dashboard."""
    async with Receiver() as slack:
        settings = router_settings(slack_webhook_url=slack.url, public_url="https://lp.example")
        alert = make_alert()
        await produce_alerts(settings, [alert])
        start_router(settings, quick_config())
        await wait_until(lambda: len(slack.accepted()) == 1, 20, "slack never got it")
        message = slack.accepted()[0].json()
        text = str(message)
        assert message["blocks"][0]["type"] == "header"
        assert "ann@example.com" in text
        assert "demo_requested" in text
        assert f"https://lp.example/dashboard/leads/{alert.lead.lead_id}" in text
        assert "webhook-signature" not in slack.accepted()[0].headers


async def test_slack_rate_limit_is_honored(
    router_settings: Callable[..., Settings], start_router: Start
) -> None:
    """A 429 with Retry-After: 1 from Slack is waited out, then the message is sent once."""
    async with Receiver(script=[(429, {"Retry-After": "1"})]) as slack:
        settings = router_settings(slack_webhook_url=slack.url)
        await produce_alerts(settings, [make_alert()])
        retry = quick_config().routing.retry.model_copy(update={"cap_seconds": 5})
        start_router(settings, quick_config(retry=retry))
        await wait_until(lambda: len(slack.accepted()) == 1, 20, "slack never got it")
        first, second = slack.received
        assert second.at - first.at >= 0.95
        assert len(slack.received) == 2
