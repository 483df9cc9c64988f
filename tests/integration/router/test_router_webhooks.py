"""The router delivers alerts from Kafka as signed webhooks to real HTTP receivers."""

from __future__ import annotations

from collections.abc import Callable

import orjson
import pytest
from standardwebhooks import Webhook

from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.schema import Alert
from leadpulse.kernel.settings import Settings
from router import list_dead_letters
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


async def test_alert_arrives_signed_with_its_id_and_offset_is_committed(
    router_settings: Callable[..., Settings], start_router: Start
) -> None:
    """A produced alert reaches the receiver once, verifies, and its offset gets committed."""
    async with Receiver() as receiver:
        settings = router_settings(webhook_url=receiver.url)
        alert = make_alert()
        await produce_alerts(settings, [alert])
        start_router(settings, quick_config())
        await wait_until(lambda: len(receiver.accepted()) == 1, 20, "webhook never arrived")
        got = receiver.accepted()[0]
        payload = Webhook(WEBHOOK_SECRET).verify(got.body, got.headers)
        assert got.webhook_id == alert.alert_id
        assert Alert.model_validate(payload) == alert
        await wait_for(lambda: _committed_is(settings, 1), 10, "offset never committed")
        assert len(receiver.received) == 1


async def _committed_is(settings: Settings, expected: int) -> bool:
    return await committed_total(settings) == expected


async def test_two_secrets_during_rotation_both_verify(
    router_settings: Callable[..., Settings], start_router: Start
) -> None:
    """With two secrets in LP_WEBHOOK_SECRET, a receiver holding either one verifies."""
    new_secret = "whsec_" + "bmV3LXNlY3JldC1mb3Itcm90YXRpb24tdGVzdHM="
    async with Receiver() as receiver:
        settings = router_settings(
            webhook_url=receiver.url, webhook_secret=f"{WEBHOOK_SECRET} {new_secret}"
        )
        await produce_alerts(settings, [make_alert()])
        start_router(settings, quick_config())
        await wait_until(lambda: len(receiver.accepted()) == 1, 20, "webhook never arrived")
        got = receiver.accepted()[0]
        Webhook(WEBHOOK_SECRET).verify(got.body, got.headers)
        Webhook(new_secret).verify(got.body, got.headers)
        assert len(got.headers["webhook-signature"].split()) == 2


async def test_owner_comes_from_the_territory_when_the_crm_has_none(
    router_settings: Callable[..., Settings], start_router: Start
) -> None:
    """No CRM owner: a US lead gets the americas owner; a CRM owner is kept as it is."""
    async with Receiver() as receiver:
        settings = router_settings(webhook_url=receiver.url)
        us_lead = make_alert(owner=None, lead={"attributes": {"country": "us"}})
        crm_owned = make_alert(owner="crm-owner@sales.example")
        await produce_alerts(settings, [us_lead, crm_owned])
        start_router(settings, quick_config())
        await wait_until(lambda: len(receiver.accepted()) == 2, 20, "webhooks never arrived")
        owners = {r.webhook_id: r.json()["owner"] for r in receiver.accepted()}
        assert owners == {
            us_lead.alert_id: "grace@sales.example",
            crm_owned.alert_id: "crm-owner@sales.example",
        }


async def test_round_robin_position_survives_a_restart_and_nothing_goes_twice(
    router_settings: Callable[..., Settings], start_router: Start
) -> None:
    """Round robin (weights 2:1:1) goes on where it was after a restart; no resends."""
    async with Receiver() as receiver:
        settings = router_settings(webhook_url=receiver.url)
        config = quick_config(territories={})
        first = [make_alert(owner=None, lead={"attributes": {}}) for _ in range(2)]
        await produce_alerts(settings, first)
        running = start_router(settings, config)
        await wait_until(lambda: len(receiver.accepted()) == 2, 20, "first alerts missing")
        await running.close()
        second = [make_alert(owner=None, lead={"attributes": {}}) for _ in range(2)]
        await produce_alerts(settings, second)
        # A fresh group reads the first alerts again too: their records keep them from
        # going out twice (and it spares the wait for the old member's session to lapse).
        fresh = settings.model_copy(update={"router_group": settings.router_group + ".2"})
        start_router(fresh, config)
        await wait_for(lambda: _committed_is(fresh, 4), 20, "second alerts never committed")
        assert len(receiver.received) == 4
        owners = sorted(r.json()["owner"] for r in receiver.accepted())
        assert owners == [
            "ada@sales.example",
            "ada@sales.example",
            "grace@sales.example",
            "linus@sales.example",
        ]


async def test_a_4xx_is_not_retried_and_goes_to_the_dlq(
    router_settings: Callable[..., Settings], start_router: Start
) -> None:
    """A 400 answer is final: one try, then a dead letter naming the status."""
    async with Receiver(default=400) as receiver:
        settings = router_settings(webhook_url=receiver.url)
        alert = make_alert()
        await produce_alerts(settings, [alert])
        start_router(settings, quick_config())
        await wait_for(lambda: _has_letters(settings, 1), 20, "no dead letter")
        [letter] = await list_dead_letters(settings)
        assert letter.alert.alert_id == alert.alert_id
        assert letter.destination == "default_webhook"
        assert letter.attempts == 1
        assert "HTTP 400" in letter.reason
        assert len(receiver.received) == 1


async def _has_letters(settings: Settings, count: int) -> bool:
    return len(await list_dead_letters(settings)) == count


async def test_429_waits_for_retry_after_then_delivers(
    router_settings: Callable[..., Settings], start_router: Start
) -> None:
    """A 429 with Retry-After: 1 is retried no sooner than a second later, then delivered."""
    async with Receiver(script=[(429, {"Retry-After": "1"})]) as receiver:
        settings = router_settings(webhook_url=receiver.url)
        await produce_alerts(settings, [make_alert()])
        retry = quick_config().routing.retry.model_copy(update={"cap_seconds": 5})
        config = quick_config(retry=retry)
        start_router(settings, config)
        await wait_until(lambda: len(receiver.accepted()) == 1, 20, "never delivered")
        first, second = receiver.received
        assert second.at - first.at >= 0.95
        assert first.webhook_id == second.webhook_id


async def test_throttle_lets_one_alert_of_a_type_per_lead_per_window(
    router_settings: Callable[..., Settings], start_router: Start
) -> None:
    """Two mql alerts for one lead within the window: only the first goes out."""
    async with Receiver() as receiver:
        settings = router_settings(webhook_url=receiver.url)
        first = make_alert()
        again = make_alert(alert_id=first.alert_id + "_2", lead={"lead_id": first.lead.lead_id})
        other_type = make_alert(
            alert_id=first.alert_id + "_3", type="sla_breach", lead={"lead_id": first.lead.lead_id}
        )
        await produce_alerts(settings, [first, again, other_type])
        start_router(settings, quick_config(throttle_minutes=60))
        await wait_for(lambda: _committed_is(settings, 3), 20, "alerts never committed")
        assert sorted(r.webhook_id for r in receiver.accepted()) == sorted(
            [first.alert_id, other_type.alert_id]
        )


@pytest.mark.parametrize("allow_private", [False, True], ids=["refused", "allowed"])
async def test_config_destination_on_loopback_needs_allow_private(
    router_settings: Callable[..., Settings],
    start_router: Start,
    monkeypatch: pytest.MonkeyPatch,
    allow_private: bool,
) -> None:
    """A config destination on 127.0.0.1 is refused by the SSRF guard unless allowed."""
    from leadpulse.kernel.config.routing import Destination

    monkeypatch.setenv("LP_PARTNER_SECRET", WEBHOOK_SECRET)
    async with Receiver() as receiver:
        settings = router_settings()
        partner = Destination(
            name="partner",
            type="webhook",
            url=receiver.url,
            secret_env="LP_PARTNER_SECRET",
            allow_private=allow_private,
        )
        alert = make_alert()
        await produce_alerts(settings, [alert])
        start_router(settings, quick_config(destinations=[partner]))
        if allow_private:
            await wait_until(lambda: len(receiver.accepted()) == 1, 20, "never delivered")
            Webhook(WEBHOOK_SECRET).verify(receiver.received[0].body, receiver.received[0].headers)
        else:
            await wait_for(lambda: _has_letters(settings, 1), 20, "no dead letter")
            [letter] = await list_dead_letters(settings)
            assert letter.destination == "partner"
            assert "non-public address" in letter.reason
            assert receiver.received == []


async def test_delivery_records_work_on_a_valkey_cluster(
    router_settings: Callable[..., Settings],
    start_router: Start,
    redis_target: tuple[str, bool],
) -> None:
    """The router's Valkey keys work on one node and on a 3-node cluster alike."""
    url, cluster = redis_target
    async with Receiver() as receiver:
        settings = router_settings(webhook_url=receiver.url, redis_url=url, redis_cluster=cluster)
        alerts = [make_alert(owner=None) for _ in range(3)]
        await produce_alerts(settings, alerts)
        start_router(settings, quick_config(throttle_minutes=5))
        await wait_until(lambda: len(receiver.accepted()) == 3, 20, "webhooks never arrived")
        assert all(r.json()["owner"] for r in receiver.accepted())


def test_golden_alert_is_what_the_receiver_parses() -> None:
    """The webhook body is the Alert JSON: the golden sample round-trips through it."""
    from router.payload import webhook_body

    alert = make_alert()
    assert Alert.model_validate(orjson.loads(webhook_body(alert))) == alert


async def test_an_unreadable_message_is_skipped_and_the_next_alert_delivered(
    router_settings: Callable[..., Settings], start_router: Start
) -> None:
    """A message that is not an Alert is counted and committed past; delivery goes on."""
    from aiokafka import AIOKafkaProducer

    from leadpulse.kernel.kafka import producer_options

    async with Receiver() as receiver:
        settings = router_settings(webhook_url=receiver.url)
        alert = make_alert()
        await produce_alerts(settings, [])
        producer = AIOKafkaProducer(**producer_options(settings))
        await producer.start()
        try:
            await producer.send_and_wait(
                settings.topics.alerts, b'{"not": "an alert"}', key=alert.lead.lead_id.encode()
            )
        finally:
            await producer.stop()
        await produce_alerts(settings, [alert])
        start_router(settings, quick_config())
        await wait_until(lambda: len(receiver.accepted()) == 1, 20, "next alert never arrived")
        await wait_for(lambda: _committed_is(settings, 2), 10, "offsets never committed")


async def test_health_server_reports_ready_and_counts_deliveries(
    router_settings: Callable[..., Settings], start_router: Start
) -> None:
    """/readyz is 200 once partitions are held; /metrics counts delivered per destination."""
    import httpx

    async with Receiver() as receiver:
        settings = router_settings(webhook_url=receiver.url)
        await produce_alerts(settings, [make_alert()])
        start_router(settings, quick_config())
        await wait_until(lambda: len(receiver.accepted()) == 1, 20, "never delivered")
        base = f"http://127.0.0.1:{settings.router_health_port}"
        async with httpx.AsyncClient(base_url=base) as client:
            ready = await client.get("/readyz")
            metrics = (await client.get("/metrics")).text
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"valkey": True, "partitions": True}
        assert 'leadpulse_router_delivered_total{destination="default_webhook"}' in metrics
        assert "leadpulse_router_delivery_seconds_bucket" in metrics


async def test_two_routers_in_one_group_share_the_work_without_duplicates(
    router_settings: Callable[..., Settings], start_router: Start
) -> None:
    """Scaling out: two routers split the partitions and every alert goes out once."""
    from leadpulse.dev.embedded import free_port

    async with Receiver() as receiver:
        settings = router_settings(webhook_url=receiver.url)
        start_router(settings, quick_config())
        start_router(
            settings.model_copy(update={"router_health_port": free_port()}), quick_config()
        )
        alerts = [make_alert() for _ in range(30)]
        await produce_alerts(settings, alerts)
        await wait_for(lambda: _committed_is(settings, 30), 40, "alerts never all committed")
        ids = [r.webhook_id for r in receiver.received]
        assert sorted(ids) == sorted(a.alert_id for a in alerts)
