"""One connector's writer: gather changes, batch them, write within the portal's budget,
record what was written, dead-letter what cannot be.

Before a batch is sent it is noted in flight in Valkey, and after the CRM took it each
lead's written `seq` is recorded; a change at or below the recorded seq is never sent
again. A router killed between the send and the record finds the note at its next start
and asks the CRM which of those changes it holds (`Connector.applied`), so nothing is
applied twice and nothing is lost: the reads stay uncommitted until their write is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import structlog

from leadpulse.kernel.config.routing import RetryPolicy
from leadpulse.kernel.lead_change import LeadChange
from router import metrics
from router.crm.coalesce import Pending
from router.crm.dlq import CrmDeadLetters
from router.crm.health import HealthLog
from router.crm.records import InFlight, WriteRecords, Written
from router.crm.types import Connector, Prior, Token, Write, WriteResult
from router.errors import DeliveryError, RateLimited
from router.retry import backoff_seconds
from router.settle import until_done

__all__ = ["ConnectorWorker"]

log = structlog.get_logger(__name__)

_ERROR_PAUSE_SECONDS = (0.5, 1.0, 2.0, 5.0, 10.0)


class ConnectorWorker:
    def __init__(
        self,
        connector: Connector,
        records: WriteRecords,
        dead_letters: CrmDeadLetters,
        policy: RetryPolicy,
        linger: float,
        settle: Callable[[Token], None],
        health: HealthLog,
        rng: random.Random | None = None,
    ) -> None:
        self.connector = connector
        self._health = health
        self._name = connector.name
        self._records = records
        self._dead = dead_letters
        self._policy = policy
        self._settle = settle
        self._pending = Pending(connector.batch_size, linger)
        self._wake = asyncio.Event()
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not crypto

    @property
    def waiting(self) -> int:
        return len(self._pending)

    def offer(self, change: LeadChange, token: Token) -> None:
        coalesced = self._pending.offer(change, token)
        metrics.CRM_CHANGES.labels(self._name, "coalesced" if coalesced else "queued").inc()
        self._wake.set()

    async def run(self) -> None:
        """Prepare the CRM, finish a crashed batch, then write until cancelled."""
        await self._until_ok(self.connector.prepare, "prepare")
        await self._recover()
        failures = 0
        while True:
            await self._batch_due()
            writes = self._pending.take()
            try:
                await self._flush(writes)
                failures = 0
            except Exception:
                # Never lose the writes: back in line, and a pause before the next try.
                self._pending.put_back(writes)
                metrics.HANDLING_ERRORS.inc()
                log.exception("crm_batch_failed", destination=self._name, failures=failures)
                pause = _ERROR_PAUSE_SECONDS[min(failures, len(_ERROR_PAUSE_SECONDS) - 1)]
                failures += 1
                await asyncio.sleep(pause)

    async def _batch_due(self) -> None:
        while True:
            due = self._pending.due_in()
            if due == 0:
                return
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=due)

    async def _until_ok(self, step: Callable[[], Awaitable[object]], what: str) -> None:
        """A call the CRM must answer before anything is written: retried until it is."""
        failures = 0
        while True:
            try:
                await step()
            except DeliveryError as exc:
                delay = backoff_seconds(self._policy, failures + 1, exc.retry_after, self._rng)
                failures += 1
                log.warning("crm_not_ready", destination=self._name, step=what, reason=exc.reason)
                await asyncio.sleep(delay)
            else:
                return

    async def _recover(self) -> None:
        batches: list[InFlight] = []

        async def read() -> None:
            batches.extend(await self._records.in_flight())

        await until_done(read, "crm_records")
        for batch in batches:
            await self._recover_batch(batch)

    async def _recover_batch(self, batch: InFlight) -> None:
        held: set[str] = set()

        async def ask() -> None:
            held.update(await self.connector.applied(batch.writes))

        await self._until_ok(ask, "read_back")
        landed = [w for w in batch.writes if w.change_id in held]
        await until_done(partial(self._records.record, landed), "crm_record")
        await until_done(partial(self._records.done_in_flight, batch.batch_id), "crm_inflight")
        self.connector.tally.written += len(landed)
        await self._note_health(succeeded=bool(landed))
        log.info(
            "crm_batch_recovered",
            destination=self._name,
            landed=len(landed),
            lost=len(batch.writes) - len(landed),
        )

    async def _flush(self, writes: list[Write]) -> None:
        state: dict[str, tuple[int, int | None]] = {}

        async def read() -> None:
            state.update(await self._records.state_of(w.change.lead_id for w in writes))

        await until_done(read, "crm_records")
        todo: list[tuple[Write, Prior]] = []
        for write in writes:
            prior = state.get(write.change.lead_id)
            # Nothing written yet for the lead: even a backfill (seq -1) goes.
            if prior is not None and write.change.seq <= prior[0]:
                metrics.CRM_CHANGES.labels(self._name, "already_written").inc()
            elif not write.change.email:
                metrics.CRM_CHANGES.labels(self._name, "no_email").inc()
            else:
                todo.append((write, prior))
        if todo:
            await self._send(todo)
        for write in writes:
            for token in write.tokens:
                self._settle(token)

    async def _send(self, todo: list[tuple[Write, Prior]]) -> None:
        items = [(self.connector.plan(w, p), self.connector.payload(w, p)) for w, p in todo]
        planned = [written for written, _ in items]
        batch_id = uuid.uuid4().hex
        await until_done(
            lambda: self._records.note_in_flight(InFlight(batch_id, planned)), "crm_inflight"
        )
        error, attempts, result = await self._attempt(items)
        refused = result.refused
        landed: list[Written] = []
        if error is None:
            landed = [w for w in planned if w.change_id not in refused]
            await until_done(lambda: self._records.record(landed, result.record_ids), "crm_record")
            metrics.CRM_WRITTEN.labels(self._name).inc(len(landed))
            self.connector.tally.written += len(landed)
            for (write, _), written in zip(todo, planned, strict=True):
                why = refused.get(written.change_id)
                if why is not None:
                    await self._dead_letter([write.change], why, attempts)
        elif error.reason == "validation" and len(todo) > 1:
            # The CRM refuses a batch whole for one bad record: halve until it is alone.
            await until_done(lambda: self._records.done_in_flight(batch_id), "crm_inflight")
            middle = len(todo) // 2
            await self._send(todo[:middle])
            await self._send(todo[middle:])
            return
        else:
            await self._dead_letter([w.change for w, _ in todo], error, attempts)
        await until_done(lambda: self._records.done_in_flight(batch_id), "crm_inflight")
        await self._note_health(succeeded=bool(landed))

    async def _note_health(self, succeeded: bool) -> None:
        counts = self.connector.tally.take()
        await until_done(partial(self._health.add, counts, succeeded), "crm_health")

    async def _attempt(
        self, items: list[tuple[Written, dict[str, Any]]]
    ) -> tuple[DeliveryError | None, int, WriteResult]:
        """Send until it lands or the budget of failed attempts is spent.

        A 429 is not a failed attempt: the portal's budget was paused for as long as the
        CRM asked (or a backoff when it did not say), and the batch goes again after."""
        failed = 0
        while True:
            try:
                result = await self.connector.write(items)
            except RateLimited as exc:
                if exc.retry_after is None:
                    self.connector.budget.pause(backoff_seconds(self._policy, 1, None, self._rng))
                log.info("crm_rate_limited", destination=self._name, wait=exc.retry_after)
            except DeliveryError as exc:
                failed += 1
                if not exc.retriable or failed >= self._policy.attempts:
                    return exc, failed, WriteResult()
                delay = backoff_seconds(self._policy, failed, exc.retry_after, self._rng)
                log.info(
                    "crm_write_retrying",
                    destination=self._name,
                    reason=exc.reason,
                    attempt=failed,
                    delay=round(delay, 3),
                )
                await asyncio.sleep(delay)
            else:
                return None, failed + 1, result

    async def _dead_letter(
        self, changes: list[LeadChange], error: DeliveryError, attempts: int
    ) -> None:
        reason = f"{error.detail} after {attempts} attempts"
        if not error.retriable:
            reason = f"{error.detail} (not retried)"
        for change in changes:
            park = partial(self._dead.park, change, self._name, reason, attempts)
            await until_done(park, "crm_dead_letter")
        metrics.CRM_DEAD_LETTERED.labels(self._name, error.reason).inc(len(changes))
        self.connector.tally.dead_lettered += len(changes)
        log.warning(
            "crm_dead_lettered", destination=self._name, reason=error.reason, changes=len(changes)
        )
