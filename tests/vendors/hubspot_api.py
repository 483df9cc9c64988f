"""A local HubSpot: the parts of the CRM v3 API LeadPulse uses, as HubSpot documents them.

HubSpot cannot be reached from the tests, so this server checks what HubSpot would check
and answers as HubSpot does, and lets a test inject faults:

- Auth: a private-app token as `Authorization: Bearer <token>`; anything else is 401 with
  category INVALID_AUTHENTICATION (developers.hubspot.com/docs/api/private-apps).
- Properties (developers.hubspot.com/docs/api/crm/properties): `GET /crm/v3/properties/
  contacts`; `POST /crm/v3/properties/contacts` needs name, label, type, fieldType and an
  existing groupName, answers 201, or 409 OBJECT_ALREADY_EXISTS; groups likewise under
  `/crm/v3/properties/contacts/groups`.
- Contacts (developers.hubspot.com/docs/api/crm/contacts): `POST /crm/v3/objects/contacts/
  batch/upsert` takes at most 100 inputs, each with idProperty, id and properties; more,
  a missing field, a duplicate id or a property the portal lacks is 400 VALIDATION_ERROR
  and nothing of the batch is applied. `lifecyclestage` only moves forward (a backward
  value is ignored). `POST .../batch/read` by idProperty, 207 with errors for unknown ids.
- Limits (developers.hubspot.com/docs/api/usage-details): a rolling window per portal
  (100 requests per 10 s on Free and Starter); every answer carries X-HubSpot-RateLimit-Max,
  -Remaining and -Interval-Milliseconds; past the limit, 429 with errorType RATE_LIMIT and
  policyName TEN_SECONDLY_ROLLING, and Retry-After.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadpulse.dev.embedded import free_port
from leadpulse.kernel.health import QuietServer

LIFECYCLE = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
BUILT_IN = ("email", "firstname", "lastname", "company", "lifecyclestage", "hs_object_id")


@dataclass
class Applied:
    """One input of a batch upsert that the portal applied."""

    email: str
    properties: dict[str, str]
    at: float


@dataclass
class Seen:
    """One request: path, status answered, when it arrived."""

    path: str
    status: int
    at: float
    inputs: int = 0
    injected: bool = False


@dataclass
class HubSpotServer:
    token: str = "pat-na1-test-token"
    limit: int = 100
    window_seconds: float = 10.0
    retry_after: float = 1.0
    port: int = field(default_factory=free_port)
    # answers forced on the next batch upserts: (status, Retry-After or None)
    faults: deque[tuple[int, float | None]] = field(default_factory=deque)
    # seconds to wait after applying a batch upsert and before answering it
    answer_delay: float = 0.0
    groups: set[str] = field(default_factory=set)
    properties: dict[str, dict[str, Any]] = field(default_factory=dict)
    contacts: dict[str, dict[str, str]] = field(default_factory=dict)
    applied: list[Applied] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name in BUILT_IN:
            self.properties[name] = {"name": name, "type": "string", "groupName": "contactinfo"}
        self._window: deque[float] = deque()
        base = "/crm/v3"
        app = Starlette(
            routes=[
                Route(f"{base}/properties/contacts", self._properties, methods=["GET", "POST"]),
                Route(f"{base}/properties/contacts/groups", self._group, methods=["POST"]),
                Route(f"{base}/objects/contacts/batch/upsert", self._upsert, methods=["POST"]),
                Route(f"{base}/objects/contacts/batch/read", self._read, methods=["POST"]),
            ]
        )
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = QuietServer(config)
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def upserts(self) -> list[Seen]:
        return [s for s in self.seen if s.path.endswith("/batch/upsert")]

    def rate_limited(self) -> list[Seen]:
        """429s the portal's limit answered (not the injected ones)."""
        return [s for s in self.seen if s.status == 429 and not s.injected]

    async def __aenter__(self) -> HubSpotServer:
        self._task = asyncio.create_task(self._server.serve())
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise AssertionError("the local HubSpot never started")
            await asyncio.sleep(0.02)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.should_exit = True
        if self._task is not None:
            await self._task

    # answers

    def _headers(self) -> dict[str, str]:
        return {
            "X-HubSpot-RateLimit-Max": str(self.limit),
            "X-HubSpot-RateLimit-Remaining": str(max(0, self.limit - len(self._window))),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(self.window_seconds * 1000)),
        }

    def _json(
        self, status: int, body: dict[str, Any], extra: dict[str, str] | None = None
    ) -> Response:
        headers = {**self._headers(), **(extra or {})}
        return Response(orjson.dumps(body), status, headers, media_type="application/json")

    def _error(self, status: int, category: str, message: str, **more: Any) -> Response:
        body = {
            "status": "error",
            "message": message,
            "correlationId": str(uuid.uuid4()),
            "category": category,
            **more,
        }
        return self._json(status, body)

    def _gate(self, request: Request) -> Response | None:
        """Auth, then the rolling-window limit; None when the request may go on."""
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return self._error(
                401,
                "INVALID_AUTHENTICATION",
                "Authentication credentials not found. This API supports OAuth 2.0"
                " authentication and you can find more details at"
                " https://developers.hubspot.com/docs/methods/auth/oauth-overview",
            )
        now = time.monotonic()
        while self._window and self._window[0] <= now - self.window_seconds:
            self._window.popleft()
        if len(self._window) >= self.limit:
            body = {
                "status": "error",
                "message": "You have reached your ten_secondly_rolling limit.",
                "errorType": "RATE_LIMIT",
                "correlationId": str(uuid.uuid4()),
                "policyName": "TEN_SECONDLY_ROLLING",
            }
            return self._json(429, body, {"Retry-After": f"{self.retry_after:g}"})
        self._window.append(now)
        return None

    def _note(
        self, request: Request, response: Response, inputs: int = 0, injected: bool = False
    ) -> Response:
        at = time.monotonic()
        self.seen.append(Seen(request.url.path, response.status_code, at, inputs, injected))
        return response

    async def _properties(self, request: Request) -> Response:
        refused = self._gate(request)
        if refused is not None:
            return self._note(request, refused)
        if request.method == "GET":
            return self._note(request, self._json(200, {"results": list(self.properties.values())}))
        body = orjson.loads(await request.body())
        missing = [
            k for k in ("name", "label", "type", "fieldType", "groupName") if not body.get(k)
        ]
        if missing:
            answer = self._error(400, "VALIDATION_ERROR", f"Missing required fields: {missing}")
        elif body["groupName"] not in self.groups and body["groupName"] != "contactinfo":
            answer = self._error(400, "VALIDATION_ERROR", f"group {body['groupName']} not found")
        elif body["name"] in self.properties:
            answer = self._error(
                409, "OBJECT_ALREADY_EXISTS", f"Property named '{body['name']}' already exists."
            )
        else:
            self.properties[body["name"]] = body
            answer = self._json(201, {**body, "createdAt": _now(), "hidden": False})
        return self._note(request, answer)

    async def _group(self, request: Request) -> Response:
        refused = self._gate(request)
        if refused is not None:
            return self._note(request, refused)
        body = orjson.loads(await request.body())
        name = body.get("name")
        if not name or not body.get("label"):
            answer = self._error(400, "VALIDATION_ERROR", "name and label are required")
        elif name in self.groups:
            answer = self._error(409, "OBJECT_ALREADY_EXISTS", f"Group '{name}' already exists.")
        else:
            self.groups.add(name)
            answer = self._json(201, {"name": name, "label": body["label"], "archived": False})
        return self._note(request, answer)

    def _invalid(self, inputs: Any) -> str | None:
        if not isinstance(inputs, list) or not inputs:
            return "inputs must be a non-empty list"
        if len(inputs) > 100:
            return f"Batch input size {len(inputs)} exceeds the limit of 100"
        ids: set[str] = set()
        for n, item in enumerate(inputs):
            if item.get("idProperty") != "email" or not item.get("id"):
                return f"inputs[{n}]: idProperty and id are required"
            props = item.get("properties")
            if not isinstance(props, dict):
                return f"inputs[{n}]: properties are required"
            unknown = sorted(set(props) - set(self.properties))
            if unknown:
                return f'Property "{unknown[0]}" does not exist'
            value = props.get("lifecyclestage")
            if value and value not in LIFECYCLE:
                return f"{value} was not one of the allowed options"
            if not _EMAIL.fullmatch(item["id"]):
                return f'Property values were not valid: INVALID_EMAIL "{item["id"]}"'
            if item["id"].lower() in ids:
                return f"Duplicate IDs found in batch input: [{item['id']}]"
            ids.add(item["id"].lower())
        return None

    async def _upsert(self, request: Request) -> Response:
        refused = self._gate(request)
        if refused is not None:
            return self._note(request, refused)
        inputs = orjson.loads(await request.body()).get("inputs")
        if self.faults:
            status, wait = self.faults.popleft()
            extra = {"Retry-After": f"{wait:g}"} if wait is not None else {}
            category = "RATE_LIMIT" if status == 429 else "INTERNAL_ERROR"
            fault = {"status": "error", "message": "injected", "category": category}
            return self._note(request, self._json(status, fault, extra), injected=True)
        problem = self._invalid(inputs)
        if problem is not None:
            return self._note(
                request, self._error(400, "VALIDATION_ERROR", problem), len(inputs or [])
            )
        results = [self._apply(item) for item in inputs]
        if self.answer_delay:
            await asyncio.sleep(self.answer_delay)
        body: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": _now(),
            "completedAt": _now(),
        }
        return self._note(request, self._json(200, body), len(inputs))

    def _apply(self, item: dict[str, Any]) -> dict[str, Any]:
        email = item["id"].lower()
        new = email not in self.contacts
        contact = self.contacts.setdefault(
            email, {"email": email, "hs_object_id": str(len(self.contacts) + 1)}
        )
        props = dict(item["properties"])
        stage = props.get("lifecyclestage")
        current = contact.get("lifecyclestage")
        if stage and current and LIFECYCLE.index(stage) < LIFECYCLE.index(current):
            del props["lifecyclestage"]  # HubSpot ignores a backward move
        contact.update(props)
        self.applied.append(Applied(email, dict(item["properties"]), time.monotonic()))
        return _object(contact, new)

    async def _read(self, request: Request) -> Response:
        refused = self._gate(request)
        if refused is not None:
            return self._note(request, refused)
        body = orjson.loads(await request.body())
        wanted = body.get("properties") or []
        results, errors = [], []
        for item in body.get("inputs", []):
            contact = self.contacts.get(str(item.get("id", "")).lower())
            if contact is None:
                errors.append(
                    {"status": "error", "category": "OBJECT_NOT_FOUND", "message": "not found"}
                )
                continue
            shown = {
                k: v for k, v in contact.items() if k in wanted or k in ("email", "hs_object_id")
            }
            results.append(_object(shown, None))
        status = 207 if errors else 200
        answer: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": _now(),
            "completedAt": _now(),
        }
        if errors:
            answer |= {"numErrors": len(errors), "errors": errors}
        return self._note(request, self._json(status, answer))

    def max_in_window(self) -> int:
        """The most requests that arrived within any rolling window (what the limit checks)."""
        times = sorted(s.at for s in self.seen)
        best, start = 0, 0
        for end, t in enumerate(times):
            while times[start] <= t - self.window_seconds:
                start += 1
            best = max(best, end - start + 1)
        return best


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _object(properties: dict[str, str], new: bool | None) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": properties.get("hs_object_id", "0"),
        "properties": properties,
        "createdAt": _now(),
        "updatedAt": _now(),
        "archived": False,
    }
    if new is not None:
        obj["new"] = new
    return obj
