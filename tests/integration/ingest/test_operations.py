"""Operations: /healthz, /readyz, /metrics, and logs that carry no email addresses."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest
import structlog

from leadpulse.kernel.logs import configure_logging
from tests.conftest import SECRET_KEY, TOKEN_SECRET, WRITE_KEY
from tests.integration.ingest.conftest import Edge, EdgeFactory, consume


async def test_health_and_readiness_answer_when_broker_and_valkey_do(edge: Edge) -> None:
    """/healthz is 200, /readyz is 200 with every check true."""
    async with edge.client() as client:
        health = await client.get("/healthz")
        ready = await client.get("/readyz")
    assert health.status_code == 200
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"broker": True, "spool": True, "valkey": True}


async def test_metrics_count_accepted_and_rejected_events(edge: Edge) -> None:
    """/metrics shows accepted events by source and rejections by reason."""
    async with edge.client() as client:
        await client.post(
            "/v1/track", json={"anonymousId": "m", "event": "x"}, auth=(WRITE_KEY, "")
        )
        await client.post(
            "/v1/batch",
            json={"batch": [{"type": "track", "anonymousId": "m", "event": 5}]},
            auth=(WRITE_KEY, ""),
        )
        await client.post("/v1/track", json={"anonymousId": "m", "event": "x"}, auth=("no", ""))
        text = (await client.get("/metrics")).text
    assert 'leadpulse_ingest_events_accepted_total{source="segment"}' in text
    assert 'leadpulse_ingest_events_rejected_total{reason="invalid",source="segment"}' in text
    assert 'leadpulse_ingest_events_rejected_total{reason="forbidden",source="segment"}' in text
    assert "leadpulse_ingest_publish_seconds_bucket" in text
    assert "leadpulse_ingest_spool_events" in text


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Undo a test's logging configuration (it holds the test's captured stderr)."""
    root = logging.getLogger()
    handlers = list(root.handlers)
    yield
    structlog.reset_defaults()
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)


async def test_no_email_reaches_the_log_output(
    edge_factory: EdgeFactory,
    redis_client: object,
    capfd: pytest.CaptureFixture[str],
    restore_logging: None,
) -> None:
    """Identify, CRM, links, clicks and bad input with emails: the logs never show one."""
    from ingest.tokens import EmailToken, dump_token

    configure_logging("json", "debug")  # as production runs, onto the captured stderr
    emails = ["secret.person@private.example", "other.one@hidden.example"]
    async with edge_factory() as edge, edge.client() as client:
        await client.post(
            "/v1/identify",
            json={"userId": "u", "traits": {"email": emails[0]}},
            auth=(WRITE_KEY, ""),
        )
        await client.post(
            "/v1/identify",
            json={"userId": "u", "traits": {"email": emails[1] + " x"}},
            auth=(WRITE_KEY, ""),
        )
        await client.post(
            "/v1/crm/events",
            json={
                "event_id": "c",
                "type": "won",
                "email": emails[1],
                "occurred_at": "2026-01-01T00:00:00Z",
            },
            headers={"Authorization": f"Bearer {SECRET_KEY}"},
        )
        links = await client.post(
            "/v1/links",
            json={"url": "https://site.example/", "email": emails[0]},
            headers={"Authorization": f"Bearer {SECRET_KEY}"},
        )
        await client.get(links.json()["click_url"])
        now = int(time.time())
        token = dump_token(
            TOKEN_SECRET, "click", EmailToken(emails[1], None, now, now - 1, "https://x.example")
        )
        await client.get(f"/r/{token}")
        await consume(edge.settings, 3)
    out, err = capfd.readouterr()
    assert "ingest_started" in out + err  # the logs were captured at all
    for email in emails:
        assert email not in out + err
