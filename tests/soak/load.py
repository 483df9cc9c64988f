"""Steady load from the simulator's journeys, posted by the harness itself so that it knows
exactly which event ids ingest answered 2xx for.

Segment messages go in `/v1/batch` requests (about ten a second), CRM outcomes one by one,
in time order, paced to `rate` events a second, with up to `in_flight` requests open at once
(as a fleet of browsers and servers would: one request at a time caps a run near 230 events
a second, whatever the rate asked). Requests in flight together may land in either order;
the scorer orders a lead's steps by event time, so the oracles hold either way. A 503 is
retried after its Retry-After, a refused connection (ingest killed) after a short pause,
both with the same ids, as an SDK does; ingest's dedupe by id makes a retry harmless.
"""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from leadpulse.dev.journeys import CHROME_UA, Step, make_journeys
from tests.soak.stack import SECRET_KEY, WRITE_KEY

__all__ = ["Intake", "LoadDriver", "journeys_for"]


@dataclass
class Intake:
    """What ingest answered: the accepted ids, and every status it gave."""

    accepted: dict[str, float] = field(default_factory=dict)  # event id -> when (monotonic)
    statuses: Counter[int] = field(default_factory=Counter)
    unavailable_without_retry_after: int = 0
    connection_errors: int = 0
    rejected: int = 0

    @property
    def server_errors(self) -> int:
        """5xx other than the designed 503 + Retry-After (broker and spool both away)."""
        bad = sum(n for status, n in self.statuses.items() if status >= 500 and status != 503)
        return bad + self.unavailable_without_retry_after


def journeys_for(events: int, seed: int, logins: bool = False) -> list[Step]:
    """About `events` steps of simulated journeys, in time order; with `logins`, a third of
    those that reach sales log in with a user id just before their first CRM outcome."""
    sample = make_journeys(200, seed=seed)
    leads = max(1, int(events / (len(sample) / 200) * 1.05))
    steps = make_journeys(leads, seed=seed)
    return (with_logins(steps) if logins else steps)[:events]


def with_logins(steps: list[Step], every: int = 3) -> list[Step]:
    """A product login (identify with a `userId`) a second before the first CRM outcome of
    every `every`-th person: the email's lead then merges into the user id's, and the CRM
    outcome sent by email, with the person's later pages, is forwarded to it across
    partitions while the merge may still be under way."""
    anonymous: dict[str, str] = {}  # email -> the anonymous id it identified
    out: list[Step] = []
    logged_in: set[str] = set()
    for step in steps:
        body = step.body
        if step.channel == "segment" and body.get("type") == "identify":
            anonymous[body["traits"]["email"]] = body["anonymousId"]
        email = body.get("email") if step.channel == "crm" else None
        if email in anonymous and email not in logged_in:
            logged_in.add(email)
            number = uuid.uuid5(uuid.NAMESPACE_URL, email)
            if number.int % every == 0:
                at = step.at - timedelta(seconds=1)
                login = {
                    "type": "identify",
                    "userId": f"u-{number.hex[:12]}",
                    "anonymousId": anonymous[email],
                    "messageId": str(uuid.uuid5(number, "login")),
                    "traits": {"email": email},
                    "context": {"userAgent": CHROME_UA},
                    "timestamp": at.isoformat(),
                }
                out.append(Step(at, "segment", login))
        out.append(step)
    out.sort(key=lambda s: s.at)
    return out


def _event_id(step: Step) -> str:
    return str(step.body["event_id"] if step.channel == "crm" else step.body["messageId"])


class LoadDriver:
    def __init__(self, base_url: str, steps: list[Step], rate: float, in_flight: int = 8) -> None:
        self.steps = steps
        self.rate = rate
        self.in_flight = in_flight
        self.intake = Intake()
        self.sent = 0
        self._client = httpx.AsyncClient(base_url=base_url, timeout=15)
        self._batch = max(1, min(100, int(rate / 10)))

    async def close(self) -> None:
        await self._client.aclose()

    async def run(self) -> None:
        """Send every step, paced; returns once each was answered 2xx (or refused as bad)."""
        started = time.monotonic()
        slots = asyncio.Semaphore(self.in_flight)
        sending: set[asyncio.Task[None]] = set()

        async def send_in_slot(chunk: list[Step]) -> None:
            try:
                await self.send(chunk)
            finally:
                slots.release()

        index = 0
        while index < len(self.steps):
            chunk = self._chunk_at(index)
            await slots.acquire()
            task = asyncio.create_task(send_in_slot(chunk))
            sending.add(task)
            task.add_done_callback(sending.discard)
            index += len(chunk)
            self.sent = index
            ahead = index / self.rate - (time.monotonic() - started)
            if ahead > 0:
                await asyncio.sleep(ahead)
        await asyncio.gather(*sending)

    def _chunk_at(self, index: int) -> list[Step]:
        """One request's steps from `index`: a CRM outcome alone, or a run of Segment calls."""
        if self.steps[index].channel == "crm":
            return [self.steps[index]]
        chunk: list[Step] = []
        while (
            index + len(chunk) < len(self.steps)
            and self.steps[index + len(chunk)].channel == "segment"
            and len(chunk) < self._batch
        ):
            chunk.append(self.steps[index + len(chunk)])
        return chunk

    async def probe(self, label: str) -> str:
        """One fresh page view, sent now (retried until accepted); returns its event id."""
        event_id = f"probe-{label}-{uuid.uuid4().hex[:8]}"
        body = {
            "type": "page",
            "messageId": event_id,
            "anonymousId": f"probe-{label}",
            "timestamp": datetime.now(UTC).isoformat(),
            "properties": {"url": "https://www.leadpulse-demo.example/demo/blog/probe"},
        }
        await self._post("/v1/batch", {"batch": [body]}, [event_id])
        return event_id

    async def send(self, steps: list[Step]) -> None:
        ids = [_event_id(step) for step in steps]
        if steps[0].channel == "crm":
            await self._post("/v1/crm/events", steps[0].body, ids)
        else:
            await self._post("/v1/batch", {"batch": [s.body for s in steps]}, ids)

    async def _post(self, path: str, body: dict[str, Any], ids: list[str]) -> None:
        crm = path == "/v1/crm/events"
        # CRM outcomes need the secret key; Segment batches carry the write key.
        secret = f"Bearer {SECRET_KEY}"
        write = "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()
        headers = {"Authorization": secret if crm else write}
        while True:
            try:
                response = await self._client.post(path, json=body, headers=headers)
            except httpx.HTTPError:
                self.intake.connection_errors += 1
                await asyncio.sleep(0.5)
                continue
            status = response.status_code
            self.intake.statuses[status] += 1
            if status < 300:
                refused = {r.get("messageId") for r in response.json().get("rejected", [])}
                self.intake.rejected += len(refused)
                now = time.monotonic()
                for event_id in ids:
                    if event_id not in refused:
                        self.intake.accepted.setdefault(event_id, now)
                return
            if status < 500 and status != 429:
                self.intake.rejected += len(ids)
                return
            retry_after = response.headers.get("Retry-After")
            if status == 503 and retry_after is None:
                self.intake.unavailable_without_retry_after += 1
            await asyncio.sleep(min(2.0, float(retry_after or 0.5)))
