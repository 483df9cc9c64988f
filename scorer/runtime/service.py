"""The scorer process: a consumer group member plus its health server.

Shutdown order: stop taking batches (the current one finishes), commit what was applied,
leave the group, flush the producer, close Valkey, stop the health server.

A failed step is retried with backoff from Valkey's offsets; after
`LP_SCORER_MAX_CONSECUTIVE_FAILURES` failed steps in a row the scorer logs `scorer_gave_up`
and raises `GaveUp`: the command exits 1 and its supervisor starts it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from typing import Any, NoReturn

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from redis.typing import EncodableT

from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.health import HealthServer
from leadpulse.kernel.kafka import ensure_topics, producer_options
from leadpulse.kernel.lifecycle import Lifecycle, StopRequested, unless_stopped
from leadpulse.kernel.settings import Settings
from leadpulse.kernel.valkey import Valkey, connect_valkey
from scorer.core.config import Rules
from scorer.metrics import BATCH_FAILURES, GAVE_UP, READY, RETRY_WAITS
from scorer.predict.refresh import refresh as refresh_models
from scorer.predict.trainer import run_trainer
from scorer.runtime.consumer import ScorerLoop
from scorer.runtime.dead_letters import DeadLetters
from scorer.runtime.errors import (
    BrokerUnavailable,
    GaveUp,
    ValkeyUnavailable,
    is_retriable,
    translate,
)
from scorer.runtime.lead_cache import LeadCache
from scorer.runtime.outbox import Outbox
from scorer.storage.keys import META
from scorer.storage.scripts import Scripts

__all__ = [
    "ScorerParts",
    "consumer_options",
    "open_loop",
    "open_redis",
    "retry_delay",
    "run",
    "settle_heap",
]

log = structlog.get_logger("scorer")

RETRY_MAX_SECONDS = 10.0


def settle_heap() -> None:
    """Tune the cyclic GC for a consumer that allocates a lot per batch and keeps little.

    Everything built so far lives as long as the process: frozen, no collection rescans it.
    A batch allocates tens of thousands of short-lived objects (envelopes, facts, ops)
    with almost no cycles: collecting every 700 allocations cost more than decoding.
    """
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def consumer_options(settings: Settings) -> dict[str, Any]:
    return {
        "bootstrap_servers": settings.kafka_bootstrap,
        "group_id": settings.scorer_group,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "session_timeout_ms": 6_000,
        "heartbeat_interval_ms": 1_000,
        "max_partition_fetch_bytes": 4 * 1024 * 1024,
        # Claims, merges and forwards come back through this topic: a broker that holds an
        # empty fetch for the full default 500 ms adds that to every identity hop.
        "fetch_max_wait_ms": 50,
    }


async def open_redis(settings: Settings, config: LeadPulseConfig) -> tuple[Valkey, Scripts]:
    """Connect, load the scripts, and record what the read path needs from settings/config."""
    redis = connect_valkey(settings)
    scripts = Scripts()
    await scripts.load(redis)
    accounts = config.scoring.accounts
    meta: dict[EncodableT, EncodableT] = {
        "partitions": settings.kafka_partitions,
        "threshold": config.scoring.models[0].threshold,
        "timeline_max": config.scoring.timeline_max,
        "account_score": accounts.score,
        "buying_group_people": accounts.buying_group.people,
        "buying_group_days": accounts.buying_group.days,
    }
    await redis.hset(META, mapping=meta)
    return redis, scripts


def retry_delay(failures: int) -> float:
    """Seconds to wait after the n-th failure in a row: 0.5, 1, 2, 4, 8, then 10."""
    return float(min(RETRY_MAX_SECONDS, 0.5 * 2 ** min(failures - 1, 10)))


async def _back_off(exc: Exception, failures: int, stop: asyncio.Event) -> None:
    """Say why the batch failed, count it, and wait before the next try (or until stop)."""
    delay = retry_delay(failures)
    BATCH_FAILURES.inc()
    error = translate(exc)
    if isinstance(error, ValkeyUnavailable | BrokerUnavailable):
        cause = "valkey_unreachable" if isinstance(error, ValkeyUnavailable) else "broker_away"
        RETRY_WAITS.labels(cause).inc()
        log.warning(cause, error=type(exc).__name__, failures=failures, retry_in=delay)
    else:
        RETRY_WAITS.labels("error").inc()
        log.exception("batch_failed", error=type(exc).__name__, failures=failures, retry_in=delay)
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), delay)


def _give_up(exc: Exception, failures: int, trainer: asyncio.Task[None]) -> NoReturn:
    """Too many failures in a row: say so once and stop, for the supervisor to restart."""
    GAVE_UP.inc()
    log.error(
        "scorer_gave_up", failures=failures, error=type(exc).__name__, retriable=is_retriable(exc)
    )
    trainer.cancel()
    raise GaveUp(failures, exc) from exc


def _trainer_done(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("trainer_failed", error=type(task.exception()).__name__)


async def _finish_trainer(task: asyncio.Task[None]) -> None:
    """Stop is set (or the trainer cancelled) by now: it ends its poll; a failed one was
    logged already. Waiting never raises, so an error on the way out stays the one seen."""
    await asyncio.wait({task}, timeout=5)
    if not task.done():
        task.cancel()
        await asyncio.wait({task})


class ScorerParts(Lifecycle):
    """The scorer's parts connected: Valkey with its scripts, the producer (outbox and dead
    letters), the consumer subscribed to the events topic. Closed in reverse on stop."""

    def __init__(self, settings: Settings, config: LeadPulseConfig) -> None:
        self._settings = settings
        self._config = config
        self._stack = contextlib.AsyncExitStack()
        self._loop: ScorerLoop | None = None

    @property
    def loop(self) -> ScorerLoop:
        if self._loop is None:
            raise RuntimeError("ScorerParts.start() first")
        return self._loop

    async def _start(self) -> None:
        settings, config = self._settings, self._config
        redis, scripts = await open_redis(settings, config)
        self._stack.push_async_callback(redis.aclose)
        producer = AIOKafkaProducer(**producer_options(settings))
        consumer = AIOKafkaConsumer(**consumer_options(settings))
        self._loop = loop = ScorerLoop(
            consumer,
            redis,
            Outbox(redis, producer, settings.topics),
            scripts,
            Rules.from_config(
                config.scoring, crm_score_step=config.crm_score_step, predict=config.predict
            ),
            cache=LeadCache(settings.scorer_lead_cache),
            dead_letters=DeadLetters(producer, settings.topics.events_dlq),
        )
        self._stack.push_async_callback(producer.stop)
        await producer.start()
        consumer.subscribe([settings.topics.events], listener=loop.listener)
        # Stopped even if its start (which waits to join the group) is cut short.
        self._stack.push_async_callback(consumer.stop)
        await consumer.start()

    async def _stop(self) -> None:
        await self._stack.aclose()


@contextlib.asynccontextmanager
async def open_loop(settings: Settings, config: LeadPulseConfig) -> AsyncIterator[ScorerLoop]:
    """`ScorerParts`' loop, for as long as the block runs."""
    async with ScorerParts(settings, config) as parts:
        yield parts.loop


async def run(settings: Settings, config: LeadPulseConfig, stop: asyncio.Event) -> None:
    """Consume events until `stop` is set, then shut down in order."""
    await ensure_topics(settings)
    started: list[ScorerLoop] = []

    async def ready() -> dict[str, bool]:
        if not started:
            return {"valkey": False, "partitions": False}
        loop = started[0]
        return {"valkey": bool(await loop.redis.ping()), "partitions": bool(loop.partitions)}

    # Same bind address as the HTTP edge: 127.0.0.1 locally, 0.0.0.0 where probes reach in.
    health = HealthServer(settings.http_host, settings.scorer_health_port, ready, READY)
    async with contextlib.AsyncExitStack() as stack:
        await health.start()
        stack.push_async_callback(health.stop)
        try:
            loop = await unless_stopped(
                stack.enter_async_context(open_loop(settings, config)), stop
            )
        except StopRequested:
            log.info("scorer_stopped_while_starting")
            return
        started.append(loop)
        await refresh_models(
            loop.redis, names=config.predict.names, force=True
        )  # this Valkey's models, not a previous one's
        trainer = asyncio.create_task(
            run_trainer(settings, loop.redis, stop, config.predict),
            name="trainer",
        )
        trainer.add_done_callback(_trainer_done)
        stack.push_async_callback(_finish_trainer, trainer)
        settle_heap()
        log.info("scorer_started", group=settings.scorer_group, topic=settings.topics.events)
        failures = 0
        while not stop.is_set():
            try:
                await loop.step()
                failures = 0
            except Exception as exc:  # noqa: BLE001 - logged with its traceback in _back_off
                failures += 1
                # A failed batch may be half applied: every partition resumes from Valkey
                # (in the next step, retried there until Valkey answers).
                loop.resume_before_next_batch()
                if failures >= settings.scorer_max_consecutive_failures:
                    _give_up(exc, failures, trainer)
                await _back_off(exc, failures, stop)
        await loop.commit_applied(None)
        log.info("scorer_stopping", events_applied=loop.events_applied)
