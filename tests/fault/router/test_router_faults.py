"""Faults from real levers: failing, dead and hanging receivers; replay from the DLQ."""

from __future__ import annotations

from collections.abc import Callable

from standardwebhooks import Webhook

from leadpulse.dev.embedded import free_port
from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.settings import Settings
from router import list_dead_letters, replay_dead_letters
from tests.conftest import WEBHOOK_SECRET
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


async def _letters(settings: Settings, count: int) -> bool:
    return len(await list_dead_letters(settings)) == count


async def test_failing_three_times_then_200_is_delivered_exactly_once(
    router_settings: Callable[..., Settings], start_router: Start
) -> None:
    """500, 500, 500, then 200: one delivery, four tries, one webhook-id, all verify."""
    async with Receiver(script=[(500, {})] * 3) as receiver:
        settings = router_settings(webhook_url=receiver.url)
        alert = make_alert()
        await produce_alerts(settings, [alert])
        start_router(settings, quick_config())
        await wait_until(lambda: len(receiver.accepted()) == 1, 20, "never delivered")
        assert [r.status for r in receiver.received] == [500, 500, 500, 200]
        assert {r.webhook_id for r in receiver.received} == {alert.alert_id}
        for request in receiver.received:
            Webhook(WEBHOOK_SECRET).verify(request.body, request.headers)
        assert await list_dead_letters(settings) == []


async def test_dead_receiver_dead_letters_and_replay_delivers(
    router_settings: Callable[..., Settings], start_router: Start
) -> None:
    """Always 503: the alert lands on the DLQ with its reason; after a fix, replay delivers."""
    async with Receiver(default=503) as receiver:
        settings = router_settings(webhook_url=receiver.url)
        alert = make_alert()
        await produce_alerts(settings, [alert])
        start_router(settings, quick_config())
        await wait_for(lambda: _letters(settings, 1), 20, "no dead letter")
        [letter] = await list_dead_letters(settings)
        assert letter.alert == alert
        assert letter.attempts == 4
        assert letter.reason == "HTTP 503 after 4 attempts"
        assert len(receiver.received) == 4

        receiver.default = 200
        assert await replay_dead_letters(settings) == 1
        await wait_until(lambda: len(receiver.accepted()) == 1, 20, "replay never delivered")
        assert receiver.accepted()[0].webhook_id == alert.alert_id
        assert await list_dead_letters(settings) == []
        assert await replay_dead_letters(settings) == 0


async def test_replay_skips_destinations_that_already_took_the_alert(
    router_settings: Callable[..., Settings], start_router: Start
) -> None:
    """Webhook ok, Slack dead: a replay sends to Slack only, never again to the webhook."""
    async with Receiver() as hooks, Receiver(default=500) as slack:
        settings = router_settings(webhook_url=hooks.url, slack_webhook_url=slack.url)
        alert = make_alert()
        await produce_alerts(settings, [alert])
        start_router(settings, quick_config())
        await wait_for(lambda: _letters(settings, 1), 20, "no dead letter")
        [letter] = await list_dead_letters(settings)
        assert letter.destination == "default_slack"
        slack.default = 200
        assert await replay_dead_letters(settings, [alert.alert_id]) == 1
        await wait_until(lambda: len(slack.accepted()) == 1, 20, "slack never got it")
        assert len(hooks.received) == 1


async def test_connection_refused_is_retried_then_dead_lettered(
    router_settings: Callable[..., Settings], start_router: Start
) -> None:
    """Nothing listening: network errors are retried, then dead-lettered as such."""
    settings = router_settings(webhook_url=f"http://127.0.0.1:{free_port()}/hooks")
    await produce_alerts(settings, [make_alert()])
    start_router(settings, quick_config())
    await wait_for(lambda: _letters(settings, 1), 20, "no dead letter")
    [letter] = await list_dead_letters(settings)
    assert letter.reason == "network error: ConnectError after 4 attempts"


async def test_hanging_receiver_times_out_and_is_retried(
    router_settings: Callable[..., Settings], start_router: Start
) -> None:
    """A receiver slower than the read timeout counts as a failed, retriable try."""
    async with Receiver(delay=1.0) as receiver:
        settings = router_settings(webhook_url=receiver.url)
        await produce_alerts(settings, [make_alert()])
        config = quick_config()
        retry = config.routing.retry.model_copy(update={"read_timeout_seconds": 0.2, "attempts": 2})
        start_router(settings, quick_config(retry=retry))
        await wait_for(lambda: _letters(settings, 1), 20, "no dead letter")
        [letter] = await list_dead_letters(settings)
        assert letter.reason == "timed out: ReadTimeout after 2 attempts"
        assert len(receiver.received) == 2
