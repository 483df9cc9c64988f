"""The router process: assemble its parts, run the consumer until `stop`, close in order."""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from aiokafka import AIOKafkaProducer

from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.health import HealthServer
from leadpulse.kernel.kafka import ensure_topics, producer_options
from leadpulse.kernel.settings import Settings, read_named_secrets
from leadpulse.kernel.valkey import connect_valkey
from router import metrics
from router.consumer import AlertConsumer
from router.crm import CrmService, build_connectors, token_names
from router.delivery import AlertDelivery
from router.destinations import build_targets
from router.dlq import DeadLetterPublisher
from router.replays import ReplayRequests
from router.slack_sender import SlackSender
from router.store import RouterStore
from router.webhook_sender import WebhookSender

__all__ = ["run"]

log = structlog.get_logger(__name__)


async def run(settings: Settings, config: LeadPulseConfig, stop: asyncio.Event) -> None:
    """Deliver alerts until `stop` is set; then stop intake, drain, commit, close."""
    routing = config.routing
    secret_names = [d.secret_env for d in routing.destinations if d.secret_env is not None]
    targets = build_targets(settings, routing, read_named_secrets(secret_names))
    connectors = build_connectors(settings, config, read_named_secrets(token_names(config)))
    log.info(
        "router_starting",
        topic=settings.topics.alerts,
        group=settings.router_group,
        destinations=[f"{t.name}:{t.kind}" for t in targets],
        throttle_minutes=routing.throttle_minutes,
        attempts=routing.retry.attempts,
    )
    if not targets and not connectors:
        log.warning("router_has_no_destinations")
    await ensure_topics(settings)
    async with contextlib.AsyncExitStack() as stack:
        redis = connect_valkey(settings)
        stack.push_async_callback(redis.aclose)
        store = RouterStore(redis)
        producer = AIOKafkaProducer(**producer_options(settings))
        await producer.start()
        stack.push_async_callback(producer.stop)
        webhooks = WebhookSender(routing.retry)
        stack.push_async_callback(webhooks.aclose)
        slack = SlackSender(routing.retry)
        stack.push_async_callback(slack.aclose)
        delivery = AlertDelivery(
            routing,
            targets,
            store,
            webhooks,
            slack,
            DeadLetterPublisher(producer, settings.topics.dlq),
            settings.base_url,
            stop,
        )
        consumer = AlertConsumer(settings, delivery.deliver, stop)
        crm = CrmService(settings, config, connectors, redis, producer, stop)
        replays = ReplayRequests(store, producer, settings.topics.alerts, stop)

        async def ready() -> dict[str, bool]:
            return {"valkey": await store.ping(), "partitions": consumer.holds_partitions}

        health = HealthServer(settings.http_host, settings.router_health_port, ready, metrics.READY)
        await health.start()
        stack.push_async_callback(health.stop)
        await asyncio.gather(consumer.run(), crm.run(), replays.run())
    log.info("router_stopped")
