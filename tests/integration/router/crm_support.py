"""Real parts for the CRM connector tests: lead changes on Kafka, a router config writing to
the local HubSpot or Salesforce (`tests.vendors`)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pydantic import SecretStr

from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.config.connectors import CrmConfig, HubSpotConfig, SalesforceConfig
from leadpulse.kernel.config.routing import Destination, RetryPolicy
from leadpulse.kernel.kafka import ensure_topics, producer_options
from leadpulse.kernel.lead_change import CrmDeadLetter, LeadChange, Reason
from leadpulse.kernel.schema import decode, encode
from leadpulse.kernel.settings import Settings
from tests.integration.router.support import quick_config
from tests.vendors.hubspot_api import HubSpotServer
from tests.vendors.salesforce_api import SalesforceServer

FAST_RETRY = RetryPolicy(
    attempts=4,
    base_seconds=0.05,
    cap_seconds=0.5,
    jitter=0.2,
    connect_timeout_seconds=1,
    read_timeout_seconds=5,
)


def hubspot_config(**hubspot: Any) -> LeadPulseConfig:
    """The default config with one HubSpot destination and test-sized waits."""
    values: dict[str, Any] = {"linger_seconds": 0.5, "retry": FAST_RETRY}
    values.update(hubspot)
    config = quick_config(destinations=[Destination(name="hubspot", type="hubspot")])
    return config.model_copy(update={"crm": CrmConfig(hubspot=HubSpotConfig(**values))})


def hubspot_settings(settings: Settings, server: HubSpotServer) -> Settings:
    return settings.model_copy(
        update={
            "hubspot_token": SecretStr(server.token),
            "hubspot_base_url": server.url,
            "webhook_url": None,
        }
    )


def change(lead_id: str, seq: int, **values: Any) -> LeadChange:
    fields: dict[str, Any] = {
        "change_id": f"lc_{lead_id}_{seq}",
        "lead_id": lead_id,
        "seq": seq,
        "at": datetime.now(UTC),
        "causes": ["score"],
        "email": f"{lead_id}@acme.example",
        "stage": "lead",
        "score": float(seq),
        "engagement": float(seq),
        "top_reasons": [Reason(rule="page_view", points=float(seq))],
    }
    fields.update(values)
    return LeadChange(**fields)


def new_lead() -> str:
    return f"ld_{uuid.uuid4().hex[:12]}"


async def produce_changes(settings: Settings, changes: list[LeadChange]) -> None:
    """All at once (a burst), each keyed by its lead like the scorer's outbox does."""
    await ensure_topics(settings)
    producer = AIOKafkaProducer(**producer_options(settings))
    await producer.start()
    try:
        futures = [
            await producer.send(settings.topics.lead_changes, encode(c), key=c.lead_id.encode())
            for c in changes
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def crm_dead_letters(
    settings: Settings, expect: int, within: float = 20.0
) -> list[CrmDeadLetter]:
    """The CRM DLQ's letters once `expect` of them are there."""
    consumer = AIOKafkaConsumer(
        settings.topics.crm_dlq,
        bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    letters: list[CrmDeadLetter] = []
    try:
        deadline = time.monotonic() + within
        while len(letters) < expect:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(letters)} dead letters, wanted {expect}")
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                letters += [decode(CrmDeadLetter, r.value) for r in records]
    finally:
        await consumer.stop()
    return letters


def salesforce_config(**salesforce: Any) -> LeadPulseConfig:
    """The default config with one Salesforce destination and test-sized waits."""
    values: dict[str, Any] = {"linger_seconds": 0.3, "retry": FAST_RETRY}
    values.update(salesforce)
    config = quick_config(destinations=[Destination(name="salesforce", type="salesforce")])
    crm = CrmConfig(salesforce=SalesforceConfig(**values))
    return config.model_copy(update={"crm": crm})


def salesforce_settings(settings: Settings, server: SalesforceServer) -> Settings:
    return settings.model_copy(
        update={
            "salesforce_login_url": server.url,
            "salesforce_client_id": server.client_id,
            "salesforce_client_secret": SecretStr(server.client_secret),
            "webhook_url": None,
        }
    )
