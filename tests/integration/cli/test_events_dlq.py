"""`leadpulse events-dlq list` shows what the scorer parked, by its place on the events topic."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord

from leadpulse.kernel.kafka import ensure_topics, producer_options
from leadpulse.kernel.settings import Settings
from scorer.runtime.dead_letters import DeadLetters
from scorer.runtime.errors import Undecodable
from tests.conftest import SettingsFactory


async def _park_one(settings: Settings) -> None:
    await ensure_topics(settings)
    producer = AIOKafkaProducer(**producer_options(settings))
    await producer.start()
    try:
        record = ConsumerRecord(
            topic=settings.topics.events,
            partition=2,
            offset=41,
            timestamp=0,
            timestamp_type=0,
            key=b"anon:x",
            value=b"\xff",
            checksum=None,
            serialized_key_size=6,
            serialized_value_size=1,
            headers=[],
        )
        await DeadLetters(producer, settings.topics.events_dlq).park(
            record, Undecodable(2, 41, "not an envelope")
        )
    finally:
        await producer.stop()


async def test_events_dlq_list_names_each_parked_event(
    settings_factory: SettingsFactory, tmp_path: Path
) -> None:
    """One line per parked event: partition:offset, reason, when, detail; then the count."""
    settings = settings_factory()
    await _park_one(settings)
    env = {
        **os.environ,
        "LP_KAFKA_BOOTSTRAP": str(settings.kafka_bootstrap),
        "LP_TOPIC_EVENTS_DLQ": settings.topic_events_dlq,
        "LP_DATA_DIR": str(tmp_path / "cli"),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "leadpulse",
        "events-dlq",
        "list",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 90)
    assert proc.returncode == 0, err.decode()
    [line] = out.decode().splitlines()
    place, reason, _when, detail = line.split("\t")
    assert (place, reason, detail) == ("2:41", "undecodable", "not an envelope")
    assert "1 parked events" in err.decode()
