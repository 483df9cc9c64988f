"""Valkey is killed and restarted on its append-only file while the scorer runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from leadpulse.dev.embedded import EmbeddedValkey
from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.kafka import ensure_topics
from leadpulse.kernel.settings import Settings
from scorer.read import store
from tests.conftest import SettingsFactory
from tests.fault.scorer.conftest import RunScorer
from tests.fault.scorer.test_script_flush import applied
from tests.integration.router.support import Receiver, RunningRouter, quick_config
from tests.integration.scorer.conftest import Producer, wait_for
from tests.unit.scorer.events import at, identify, page, track


def failed_batches() -> float:
    return REGISTRY.get_sample_value("leadpulse_scorer_batch_failures_total") or 0.0


async def test_a_killed_and_restarted_valkey_loses_no_event(
    settings_factory: SettingsFactory, run_scorer: RunScorer, tmp_path: Path
) -> None:
    """Events sent while Valkey is down and after it restarts (without its scripts) are all
    applied once; meanwhile the scorer backs off, says why, and counts it."""
    server = EmbeddedValkey(tmp_path / "valkey")
    server.start()
    redis = aioredis.Redis.from_url(server.url)
    settings = settings_factory(redis_url=server.url, scorer_health_port=0)
    await ensure_topics(settings)
    try:
        async with Producer(settings) as producer:
            await run_scorer(settings)
            await producer.send(*[page("/demo/a", anon=f"up{i}", when=at(i)) for i in range(5)])
            await wait_for(lambda: _applied_is(redis, settings, 5), what="5 events applied")
            failures = failed_batches()
            with capture_logs() as logs:
                server.kill()
                await producer.send(
                    *[page("/demo/b", anon=f"down{i}", when=at(i)) for i in range(5)]
                )
                await wait_for(lambda: _more(failures), what="a batch to fail")
                server.restart()
                await producer.send(
                    *[page("/demo/c", anon=f"back{i}", when=at(i)) for i in range(5)]
                )
                await wait_for(lambda: _applied_is(redis, settings, 15), 40, "15 applied")
        leads = await store.list_leads(redis, limit=50)
        assert leads["total"] == 15
        events = [entry["event"] for entry in logs]
        assert "valkey_unreachable" in events
        # Backed off, not spinning: a handful of tries, not thousands.
        assert events.count("valkey_unreachable") < 20
    finally:
        await redis.aclose()
        server.stop()


async def _applied_is(redis: Any, settings: Settings, count: int) -> bool:
    try:
        return await applied(redis, settings.kafka_partitions) == count
    except OSError:
        return False


async def _more(than: float) -> bool:
    return failed_batches() > than


async def test_the_router_delivers_alerts_after_a_script_flush(
    router_settings: Callable[..., Settings],
    start_router: Callable[[Settings, LeadPulseConfig], RunningRouter],
    run_scorer: RunScorer,
) -> None:
    """Ingest's events -> scorer -> router -> webhook, with the scripts flushed in between."""
    async with Receiver() as receiver:
        settings = router_settings(webhook_url=receiver.url, scorer_health_port=0)
        await ensure_topics(settings)
        assert settings.redis_url is not None
        redis = aioredis.Redis.from_url(settings.redis_url)
        try:
            await run_scorer(settings)
            start_router(settings, quick_config())
            email = "flushed@router.example"
            async with Producer(settings) as producer:
                await producer.send(identify(anon="r1", email=email, when=at(0)))
                await wait_for(lambda: _known(redis, email), what="the identify applied")
                await redis.script_flush()
                await producer.send(track("Demo Requested", email=email, when=at(1)))

            def mql_delivered() -> bool:
                return any(r.json()["type"] == "mql" for r in receiver.accepted())

            await wait_for(_sync(mql_delivered), 30, "the mql webhook")
            mql = [r.json() for r in receiver.accepted() if r.json()["type"] == "mql"]
            assert [m["lead"]["email"] for m in mql] == [email]
        finally:
            await redis.aclose()


async def _known(redis: Any, email: str) -> bool:
    return await store.get_lead(redis, email) is not None


def _sync(check: Callable[[], bool]) -> Callable[[], Any]:
    async def wrapped() -> bool:
        return check()

    return wrapped
