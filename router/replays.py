"""Replay requests: the router carries out what the dashboard asked for (`router.dlq_index`).

Requests arrive on a Valkey stream read through a consumer group, so each is handed to one
router, and one that dies mid-request leaves it pending for another to claim. A request is
acknowledged only after its letters are replayed and marked; carried out twice (a crash
before the ack), the second time finds them replayed and does nothing, and an alert that
did go back twice is delivered once: its delivery record skips the second copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from redis.exceptions import ResponseError

from leadpulse.kernel.valkey import VALKEY_FAILED, Valkey
from router import metrics
from router.dlq import put_back
from router.dlq_index import (
    REQUESTS_GROUP,
    REQUESTS_STREAM,
    indexed_letters,
    named,
    prune_letters,
    requested_letters,
)
from router.store import RECORD_TTL_SECONDS, RouterStore

__all__ = ["ReplayRequests"]

log = structlog.get_logger(__name__)

# A request held this long by a router that stopped answering is taken over.
CLAIM_IDLE_MS = 30_000
_BLOCK_MS = 500
_RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)
_PASSING = (*VALKEY_FAILED, KafkaError)
# The dead-letter index drops letters older than the delivery records this often.
PRUNE_EVERY_SECONDS = 3600.0

Entry = tuple[bytes, dict[bytes, bytes]]


class ReplayRequests:
    def __init__(
        self,
        store: RouterStore,
        producer: AIOKafkaProducer,
        alerts_topic: str,
        stop: asyncio.Event,
    ) -> None:
        self._store = store
        self._redis: Valkey = store.redis
        self._producer = producer
        self._topic = alerts_topic
        self._stop = stop
        self._name = f"{socket.gethostname()}-{os.getpid()}-{id(self):x}"

    async def run(self) -> None:
        """Carry out requests until `stop` is set; Valkey or Kafka away is waited out."""
        failures = 0
        grouped = False
        prune_at = 0.0
        while not self._stop.is_set():
            try:
                if not grouped:
                    await self._ensure_group()
                    grouped = True
                if time.monotonic() >= prune_at:
                    await self._prune()
                    prune_at = time.monotonic() + PRUNE_EVERY_SECONDS
                for entry_id, fields in await self._next():
                    await self._carry_out(fields)
                    await self._redis.xack(REQUESTS_STREAM, REQUESTS_GROUP, entry_id)
                    await self._redis.xdel(REQUESTS_STREAM, entry_id)
                failures = 0
            except _PASSING as exc:
                grouped = False  # a Valkey that lost its data lost the group too
                metrics.HANDLING_ERRORS.inc()
                log.warning("replay_request_retrying", error=type(exc).__name__)
                delay = _RETRY_SECONDS[min(failures, len(_RETRY_SECONDS) - 1)]
                failures += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=delay)

    async def _prune(self) -> None:
        before = datetime.now(UTC) - timedelta(seconds=RECORD_TTL_SECONDS)
        pruned = await prune_letters(self._redis, before)
        if pruned:
            log.info("dead_letter_index_pruned", letters=pruned)

    async def _ensure_group(self) -> None:
        try:
            await self._redis.xgroup_create(REQUESTS_STREAM, REQUESTS_GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def _next(self) -> list[Entry]:
        """Requests another router left pending too long, else new ones (waits a moment)."""
        claimed: Any = await self._redis.xautoclaim(
            REQUESTS_STREAM, REQUESTS_GROUP, self._name, CLAIM_IDLE_MS, "0-0", count=10
        )
        entries: list[Entry] = [(i, f) for i, f in claimed[1] if f]
        if entries:
            return entries
        replies: Any = await self._redis.xreadgroup(
            REQUESTS_GROUP, self._name, {REQUESTS_STREAM: ">"}, count=10, block=_BLOCK_MS
        )
        return [entry for _, batch in replies or [] for entry in batch]

    async def _carry_out(self, fields: dict[bytes, bytes]) -> None:
        try:
            wanted = requested_letters(fields)
        except ValueError:
            # Nothing could ever carry it out: acknowledged, so it does not come back.
            log.error("replay_request_unreadable")  # noqa: TRY400 - no traceback: it would echo the entry
            return
        letters = [
            item.letter
            for item in await indexed_letters(self._redis)
            if item.state != "replayed" and named(item.letter) in wanted
        ]
        count = await put_back(self._store, self._producer, self._topic, letters)
        log.info("replay_request_done", letters=len(letters), alerts=count)
