"""HubSpot contacts through the official client (`hubspot-api-client`): custom properties
made at start, contacts upserted by email in batches of up to 100, and read back after a
crash to learn which of a batch's writes landed.

The client is synchronous (urllib3): each call runs in a worker thread. Its own retries
are off: the router's policy retries, honoring 429 Retry-After and HubSpot's rate-limit
headers through the portal's `RequestBudget`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import hubspot
import urllib3
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchReadInputSimplePublicObjectId,
    SimplePublicObjectBatchInputUpsert,
    SimplePublicObjectId,
)
from hubspot.crm.properties import PropertyCreate, PropertyGroupCreate
from urllib3.util.retry import Retry

from leadpulse.kernel.config.connectors import HubSpotConfig
from leadpulse.kernel.config.routing import RetryPolicy
from router import metrics
from router.crm.bucket import RequestBudget
from router.crm.fields import CHANGE_PROPERTY, PROPERTIES, hubspot_properties, lifecycle_move
from router.crm.health import Tally
from router.crm.hubspot_errors import API_ERRORS, rate_headers, translate
from router.crm.records import Written
from router.crm.types import Prior, Write, WriteResult
from router.errors import PermanentFailure

__all__ = ["HubSpotConnector", "PropertyReport"]

T = TypeVar("T")


@dataclass
class PropertyReport:
    """What `prepare` found in the portal and what it created."""

    group_created: bool = False
    found: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)


class HubSpotConnector:
    kind = "hubspot"

    def __init__(
        self,
        name: str,
        token: str,
        base_url: str,
        config: HubSpotConfig,
        link_base: str,
        policy: RetryPolicy,
    ) -> None:
        self.name = name
        self.config = config
        self.batch_size = config.batch_size
        self.linger = config.linger_seconds
        self.policy = config.retry
        self.tally = Tally()
        self.budget = RequestBudget(
            name, config.requests_per_window, config.window_seconds, tally=self.tally
        )
        self._link_base = link_base
        self._timeout = (policy.connect_timeout_seconds, policy.read_timeout_seconds)
        self._client = hubspot.Client.create(
            access_token=token, host=base_url.rstrip("/"), retry=Retry(total=0)
        )

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        """One request: wait for the budget, run it in a thread, translate its failure."""
        try:
            async with self.budget.request():
                result = await asyncio.to_thread(fn, *args, _request_timeout=self._timeout)
        except (*API_ERRORS, urllib3.exceptions.HTTPError) as exc:
            error = translate(exc)
            metrics.CRM_REQUESTS.labels(self.name, error.reason).inc()
            self.tally.requests += 1
            if error.reason != "conflict":  # "exists already" from prepare is an answer
                self.tally.failed += 1
            if error.retry_after is not None and error.reason == "http_429":
                self.budget.pause(error.retry_after)
            raise error from exc
        metrics.CRM_REQUESTS.labels(self.name, "ok").inc()
        self.tally.requests += 1
        return result

    def _observe(self, headers: Any) -> None:
        seen = rate_headers(dict(headers or {}))
        if seen.maximum is not None:
            self.budget.cap(seen.maximum)
        if seen.remaining == 0 and seen.interval_seconds and self.budget.has_room():
            # Nothing left, yet not by our own count: other apps share the portal's budget.
            self.budget.pause(seen.interval_seconds)

    async def prepare(self) -> PropertyReport:
        """Create the property group and every missing custom property (409 = exists)."""
        report = PropertyReport()
        props = self._client.crm.properties
        group = PropertyGroupCreate(
            name=self.config.property_group, label="LeadPulse", display_order=-1
        )
        report.group_created = await self._create(props.groups_api.create, "contacts", group)
        existing = await self._call(props.core_api.get_all, "contacts")
        names = {prop.name for prop in existing.results}
        for spec in PROPERTIES:
            if spec.name in names:
                report.found.append(spec.name)
                continue
            create = PropertyCreate(
                name=spec.name,
                label=spec.label,
                type=spec.type,
                field_type=spec.field_type,
                group_name=self.config.property_group,
                description="Written by LeadPulse",
            )
            created = await self._create(props.core_api.create, "contacts", create)
            (report.created if created else report.found).append(spec.name)
        return report

    async def _create(self, fn: Callable[..., Any], *args: Any) -> bool:
        """True when created; False when HubSpot says it exists already (409)."""
        try:
            await self._call(fn, *args)
        except PermanentFailure as exc:
            if exc.reason == "conflict":
                return False
            raise
        return True

    def plan(self, write: Write, prior: Prior) -> Written:
        """The record this write leaves: seq, change id, and the lifecycle rank it sends."""
        move = lifecycle_move(write.change.stage, prior[1] if prior else None, self.config)
        return Written(
            write.change.lead_id,
            write.change.seq,
            write.change.change_id,
            write.change.email or "",
            move[1] if move else None,
        )

    def payload(self, write: Write, prior: Prior) -> dict[str, Any]:
        properties: dict[str, Any] = hubspot_properties(write.change, self._link_base)
        move = lifecycle_move(write.change.stage, prior[1] if prior else None, self.config)
        if move is not None:
            properties["lifecyclestage"] = move[0]
        return properties

    def request_body(self, items: list[tuple[Written, dict[str, Any]]]) -> dict[str, Any]:
        """The batch upsert body as HubSpot receives it (for a dry run)."""
        inputs = [{"idProperty": "email", "id": w.email, "properties": p} for w, p in items]
        return {"inputs": inputs}

    async def write(self, items: list[tuple[Written, dict[str, Any]]]) -> WriteResult:
        """One batch upsert of contacts by email; HubSpot takes or refuses it whole."""
        body = BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[
                SimplePublicObjectBatchInputUpsert(id_property="email", id=w.email, properties=p)
                for w, p in items
            ]
        )
        batch = self._client.crm.contacts.batch_api
        answer, _, headers = await self._call(batch.upsert_with_http_info, body)
        self._observe(headers)
        return WriteResult(record_ids=_record_ids(items, answer))

    async def applied(self, writes: list[Written]) -> set[str]:
        """The change ids of `writes` that the portal's contacts carry now."""
        if not writes:
            return set()
        body = BatchReadInputSimplePublicObjectId(
            id_property="email",
            inputs=[SimplePublicObjectId(id=w.email) for w in writes],
            properties=[CHANGE_PROPERTY],
            properties_with_history=[],
        )
        answer = await self._call(self._client.crm.contacts.batch_api.read, body)
        held = {
            str(obj.properties.get("email", "")).lower(): obj.properties.get(CHANGE_PROPERTY)
            for obj in answer.results
        }
        return {w.change_id for w in writes if held.get(w.email.lower()) == w.change_id}

    async def aclose(self) -> None:
        return None


def _record_ids(items: list[tuple[Written, dict[str, Any]]], answer: Any) -> dict[str, str]:
    """Change id -> contact id. Results come in no set order: each is matched to its input
    by the change id it carries back (a property sent), else by its email."""
    sent = {w.change_id for w, _ in items}
    by_email = {w.email.lower(): w.change_id for w, _ in items}
    ids: dict[str, str] = {}
    for obj in getattr(answer, "results", None) or []:
        props = obj.properties or {}
        change_id = props.get(CHANGE_PROPERTY)
        if change_id not in sent:
            change_id = by_email.get(str(props.get("email", "")).lower())
        if obj.id and change_id:
            ids[change_id] = str(obj.id)
    return ids
