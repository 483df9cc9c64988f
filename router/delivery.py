"""Deliver one alert: gate (throttle), owner, route, then every destination with retries.

A destination's outcome is recorded in Valkey the moment it is known (2xx -> delivered,
after the last try or a permanent failure -> parked on the DLQ, then dead), so the alert's
offset can be committed once every destination has one, and a redelivered alert skips the
destinations already done. A known outcome that Valkey does not take yet is kept in memory
and only its recording is retried (`router.settle`): this process never sends it again. A
stop during a backoff wait abandons the alert unrecorded: it is redelivered after the
restart, with the same webhook-id.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog

from leadpulse.kernel.config.routing import RoutingConfig
from leadpulse.kernel.schema import Alert
from router import dlq_index, history, lead_log, metrics
from router.destinations import Target
from router.dlq import DeadLetterPublisher
from router.errors import DeliveryError
from router.owners import candidates, pick_weighted
from router.payload import slack_message, webhook_body
from router.retry import backoff_seconds
from router.rules import route_alert, territory_of
from router.settle import Known, KnownOutcomes, until_done
from router.slack_sender import SlackSender
from router.ssrf import check_destination_url
from router.store import RouterStore
from router.webhook_sender import WebhookSender

__all__ = ["Abandoned", "AlertDelivery"]

log = structlog.get_logger(__name__)


class Abandoned(Exception):
    """The router is stopping: leave the alert unrecorded so it is delivered after restart."""


Step = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class _Attempted:
    attempts: int
    error: DeliveryError | None  # None: delivered


class AlertDelivery:
    def __init__(
        self,
        routing: RoutingConfig,
        targets: list[Target],
        store: RouterStore,
        webhooks: WebhookSender,
        slack: SlackSender,
        dead_letters: DeadLetterPublisher,
        base_url: str,
        stopping: asyncio.Event,
        rng: random.Random | None = None,
    ) -> None:
        self._routing = routing
        self._targets = {target.name: target for target in targets}
        self._store = store
        self._webhooks = webhooks
        self._slack = slack
        self._dead_letters = dead_letters
        self._base_url = base_url
        self._stopping = stopping
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not crypto
        self._known = KnownOutcomes()

    async def deliver(self, alert: Alert) -> None:
        """Return once every destination of the alert is delivered or dead-lettered."""
        metrics.ALERTS_CONSUMED.labels(alert.type).inc()
        window_ms = int(self._routing.throttle_minutes * 60_000)
        if not await self._store.gate(alert.alert_id, alert.lead.lead_id, alert.type, window_ms):
            metrics.ALERTS_THROTTLED.labels(alert.type).inc()
            log.info("alert_throttled", alert_id=alert.alert_id, type=alert.type)
            await lead_log.note_handled(self._store.redis, alert, passed=False)
            return
        alert = await self._with_owner(alert)
        names = route_alert(alert, self._routing, self._targets)
        done = await self._store.outcomes(alert.alert_id)
        todo = [self._targets[name] for name in names if name not in done]
        await lead_log.note_handled(
            self._store.redis, alert, passed=True, done=done, todo=[t.name for t in todo]
        )
        if not todo:
            return
        # Every destination runs to its own end (a sibling's failure must not cut short a
        # request that is about to succeed); the first failure is raised afterwards.
        outcomes = await asyncio.gather(
            *(self._deliver_to(alert, target) for target in todo), return_exceptions=True
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    async def _with_owner(self, alert: Alert) -> Alert:
        owner = alert.owner
        if owner is None:
            owner = await self._store.assigned_owner(alert.alert_id)
            if owner is None:
                territory = territory_of(alert, self._routing)
                pool, scope = candidates(self._routing, territory)
                if pool:
                    owner = pick_weighted(pool, await self._store.next_position(scope))
                owner = await self._store.assign_owner(alert.alert_id, owner)
            owner = owner or None
        return alert if owner == alert.owner else alert.model_copy(update={"owner": owner})

    async def _deliver_to(self, alert: Alert, target: Target) -> None:
        known = self._known.get(alert.alert_id, target.name)
        if known is None:
            # This process has no outcome for it yet: send.
            known = self._known.remember(
                alert.alert_id, target.name, await self._send(alert, target)
            )
        await self._settle(alert, target.name, known)
        self._known.forget(alert.alert_id, target.name)

    async def _send(self, alert: Alert, target: Target) -> Known:
        started = time.monotonic()
        outcome = await self._attempt_all(alert, target)
        if outcome.error is None:
            metrics.DELIVERED.labels(target.name).inc()
            metrics.DELIVERY_SECONDS.labels(target.name).observe(time.monotonic() - started)
            log.info("alert_delivered", alert_id=alert.alert_id, destination=target.name)
            return Known("delivered", outcome.attempts)
        reason = f"{outcome.error.detail} after {outcome.attempts} attempts"
        if not outcome.error.retriable:
            reason = f"{outcome.error.detail} (not retried)"
        metrics.DEAD_LETTERED.labels(target.name, outcome.error.reason).inc()
        log.warning(
            "alert_dead_lettered",
            alert_id=alert.alert_id,
            destination=target.name,
            reason=outcome.error.reason,
            attempts=outcome.attempts,
        )
        return Known("dead", outcome.attempts, reason)

    async def _settle(self, alert: Alert, destination: str, known: Known) -> None:
        """Record a known outcome step by step; a failed step is retried, never the send."""
        for name, step in self._steps(alert, destination, known):
            if name not in known.done:
                await until_done(step, name)
                known.done.add(name)

    def _steps(self, alert: Alert, destination: str, known: Known) -> list[tuple[str, Step]]:
        redis = self._store.redis
        record = (
            "record",
            lambda: self._store.record(alert.alert_id, destination, known.outcome),
        )
        notes: list[tuple[str, Step]] = [
            ("lead_log", lambda: lead_log.note_outcome(redis, alert, destination, known.outcome)),
            (
                "history",
                lambda: history.note_outcome(
                    redis, alert, destination, known.outcome, known.attempts, known.reason
                ),
            ),
        ]
        if known.outcome != "dead":
            return [record, *notes]

        async def park() -> None:
            known.parked = await self._dead_letters.park(
                alert, destination, known.reason or "", known.attempts
            )

        async def index() -> None:
            if known.parked is not None:
                await dlq_index.index_letter(redis, *known.parked)

        # The dashboard's view of the topic is written once the broker acked the letter and
        # the `dead` record is there for a replay to clear.
        return [("dead_letter", park), record, ("dlq_index", index), *notes]

    async def _attempt_all(self, alert: Alert, target: Target) -> _Attempted:
        """How many tries it took, and the last failure unless delivered.

        Raises Abandoned on stop."""
        policy = self._routing.retry
        body = webhook_body(alert) if target.kind == "webhook" else b""
        for attempt in range(1, policy.attempts + 1):
            try:
                if target.needs_guard:
                    await check_destination_url(target.url, allow_private=False)
                if target.kind == "webhook":
                    await self._webhooks.send(target, alert.alert_id, body)
                else:
                    await self._slack.send(target, slack_message(alert, self._base_url))
            except DeliveryError as error:
                if not error.retriable or attempt == policy.attempts:
                    return _Attempted(attempt, error)
                metrics.RETRIED.labels(target.name, error.reason).inc()
                await history.note_retry(self._store.redis, target.name)
                delay = backoff_seconds(policy, attempt, error.retry_after, self._rng)
                log.info(
                    "alert_delivery_retrying",
                    alert_id=alert.alert_id,
                    destination=target.name,
                    reason=error.reason,
                    attempt=attempt,
                    delay=round(delay, 3),
                )
                await self._wait(delay)
            else:
                return _Attempted(attempt, None)
        raise AssertionError("unreachable: the loop returns on its last attempt")

    async def _wait(self, delay: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=delay)
        except TimeoutError:
            return
        raise Abandoned
