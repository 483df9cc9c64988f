"""The one trainer: reads `leadpulse.outcomes` in order, trains, publishes a version.

Every scorer process runs `run_trainer`, but the outcomes topic has one partition and the
trainers share a consumer group, so one of them holds it and trains; the others wait.
The model is a function of the examples alone (`learn.train` orders them canonically), so
replaying the topic gives the same weights, and a trainer taking over rebuilds the same
model from the start of the topic.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import msgspec
import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener

from leadpulse.kernel.config.predict import PredictConfig
from leadpulse.kernel.fetch import Contiguous
from leadpulse.kernel.lifecycle import StopRequested, unless_stopped
from leadpulse.kernel.settings import Settings
from leadpulse.kernel.valkey import Valkey
from scorer.core.conversion.examples import Example, canonical, decode_example
from scorer.core.conversion.weights import LinearModel
from scorer.predict.learn import NB_BELOW, train
from scorer.predict.model_page import store_backtest
from scorer.predict.registry import DEFAULT_MODEL, publish
from scorer.predict.report import backtest

__all__ = ["TRAINER_GROUP", "by_model", "read_examples", "run_trainer", "train_and_publish"]

log = structlog.get_logger("trainer")

TRAINER_GROUP = "-trainer"  # after the scorer group's name
RETRAIN_SECONDS = 2.0


def _decode(raw: bytes | None) -> Example | None:
    if raw is None:
        return None
    try:
        return decode_example(raw)
    except ValueError:
        log.warning("outcome_unreadable")
        return None


async def read_examples(settings: Settings) -> list[Example]:
    """Every example on the outcomes topic, from its start to its end now: past the end
    offset the broker reports and until a fetch finds nothing more (the embedded broker
    may report the end of the last batch it stored, not of the last record)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False, group_id=None
    )
    await consumer.start()
    try:
        tp = TopicPartition(settings.topics.outcomes, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        end = (await consumer.end_offsets([tp]))[tp]
        examples: list[Example] = []
        while True:
            records = (await consumer.getmany(tp, timeout_ms=500)).get(tp, [])
            examples.extend(e for e in map(_decode, (r.value for r in records)) if e)
            if not records and await consumer.position(tp) >= end:
                return examples
    finally:
        await consumer.stop()


async def train_and_publish(
    redis: Valkey,
    examples: list[Example],
    *,
    shadow: bool,
    name: str = DEFAULT_MODEL,
    nb_below: int = NB_BELOW,
) -> tuple[LinearModel, int] | None:
    """Train on `examples` and publish: (the model, its version); None without examples."""
    if not examples:
        return None
    started = time.perf_counter()
    model = train(examples, name, nb_below)
    version = await publish(redis, model, shadow=shadow)
    result = backtest(examples, nb_below=nb_below)
    if result is not None:
        await store_backtest(redis, msgspec.structs.replace(result, version=version), name)
    log.info(
        "model_trained",
        model=name,
        version=version,
        kind=model.kind,
        examples=model.examples,
        seconds=round(time.perf_counter() - started, 3),
    )
    return model, version


class _Rewind(ConsumerRebalanceListener):  # type: ignore[misc]
    """On assignment, read the topic from its start again: the model is rebuilt whole."""

    def __init__(
        self, consumer: AIOKafkaConsumer, examples: list[Example], fetch: Contiguous
    ) -> None:
        self._consumer = consumer
        self._examples = examples
        self._fetch = fetch

    async def on_partitions_revoked(self, revoked: Any) -> None:
        self._examples.clear()
        self._fetch.forget(list(revoked))

    async def on_partitions_assigned(self, assigned: Any) -> None:
        self._examples.clear()
        if assigned:
            await self._consumer.seek_to_beginning(*assigned)


def by_model(examples: list[Example], names: list[str]) -> dict[str, list[Example]]:
    """Each named model's own examples (those of the leads it applies to), canonical: an
    example a lead published again under another model counts for that one alone."""
    grouped: dict[str, list[Example]] = {name: [] for name in names}
    for example in canonical(examples):
        if example.model in grouped:
            grouped[example.model].append(example)
    return grouped


async def run_trainer(
    settings: Settings, redis: Valkey, stop: asyncio.Event, predict: PredictConfig | None = None
) -> None:
    """Train each model whose outcomes grew (at most every RETRAIN_SECONDS) until `stop`."""
    predict = predict or PredictConfig()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=f"{settings.scorer_group}{TRAINER_GROUP}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=6_000,
        heartbeat_interval_ms=1_000,
    )
    examples: list[Example] = []
    # No record past a hole in a partition's offsets (see `leadpulse.kernel.fetch`).
    fetch = Contiguous(consumer)
    consumer.subscribe([settings.topics.outcomes], listener=_Rewind(consumer, examples, fetch))
    try:
        await unless_stopped(consumer.start(), stop)
        trained: dict[str, list[tuple[str, int]]] = {}
        next_at, read = 0.0, -1
        while not stop.is_set():
            records = await fetch.getmany(timeout_ms=500)
            for items in records.values():
                examples.extend(e for e in map(_decode, (r.value for r in items)) if e)
            if time.monotonic() < next_at or len(examples) == read:
                continue
            read = len(examples)
            for name, own in by_model(examples, predict.names).items():
                basis = [(e.example_id, e.rev) for e in own]
                if own and basis != trained.get(name):
                    await train_and_publish(
                        redis,
                        own,
                        shadow=settings.predict_shadow,
                        name=name,
                        nb_below=predict.naive_bayes_below,
                    )
                    trained[name] = basis
                    next_at = time.monotonic() + RETRAIN_SECONDS
    except StopRequested:
        return  # stopped while joining its group
    finally:
        await consumer.stop()
