"""A small local HubSpot: deals with their contact associations, and contacts by id.

It answers the two CRM v3 reads the webhook endpoint makes, as HubSpot's reference
documents them (developers.hubspot.com, "CRM API | Deals" and "CRM API | Contacts",
objects v3; the "Authentication" and "Error handling" pages for the error bodies):

- `GET /crm/v3/objects/deals/{dealId}?associations=contacts`: the deal
  `{"id", "properties", "createdAt", "updatedAt", "archived", "associations":
  {"contacts": {"results": [{"id", "type": "deal_to_contact"}]}}}`.
- `GET /crm/v3/objects/contacts/{contactId}?properties=email`: the contact with only the
  requested properties (plus HubSpot's defaults `createdate`, `lastmodifieddate`,
  `hs_object_id`).
- A missing or wrong `Authorization: Bearer` token: 401 `INVALID_AUTHENTICATION`; an unknown
  id: 404 `OBJECT_NOT_FOUND`; `fail_with` answers every request with that status (429
  carries HubSpot's rate-limit body) to inject a fault.

A real uvicorn server on a free port; every request is recorded for the test to read.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from leadpulse.dev.embedded import free_port
from leadpulse.kernel.health import QuietServer

__all__ = ["HubSpotDeals"]

_STAMP = "2026-12-01T10:00:00.000Z"


def _error(status: int, category: str, message: str) -> JSONResponse:
    body = {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
    }
    return JSONResponse(body, status_code=status)


@dataclass
class HubSpotDeals:
    token: str
    deals: dict[str, list[str]] = field(default_factory=dict)
    contacts: dict[str, str] = field(default_factory=dict)
    fail_with: int | None = None
    delay: float = 0.0
    requests: list[tuple[str, str]] = field(default_factory=list)
    port: int = field(default_factory=free_port)

    def __post_init__(self) -> None:
        app = Starlette(
            routes=[
                Route("/crm/v3/objects/deals/{object_id}", self._deal, methods=["GET"]),
                Route("/crm/v3/objects/contacts/{object_id}", self._contact, methods=["GET"]),
            ]
        )
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = QuietServer(config)
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add_deal(self, deal_id: str, contacts: dict[str, str]) -> None:
        """A deal associated with these contacts (id -> email)."""
        self.deals[deal_id] = list(contacts)
        self.contacts.update(contacts)

    async def _refusal(self, request: Request) -> JSONResponse | None:
        self.requests.append((request.method, str(request.url.path)))
        if self.delay:
            await asyncio.sleep(self.delay)
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return _error(
                401,
                "INVALID_AUTHENTICATION",
                "Authentication credentials not found. This API supports OAuth 2.0 "
                "authentication and you can find more details at "
                "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
            )
        if self.fail_with == 429:
            return JSONResponse(
                {
                    "status": "error",
                    "message": "You have reached your ten_secondly_rolling limit.",
                    "errorType": "RATE_LIMIT",
                    "correlationId": str(uuid.uuid4()),
                    "policyName": "TEN_SECONDLY_ROLLING",
                },
                status_code=429,
            )
        if self.fail_with is not None:
            return _error(self.fail_with, "INTERNAL_ERROR", "internal error")
        return None

    @staticmethod
    def _record(object_id: str, properties: dict[str, Any]) -> dict[str, Any]:
        defaults = {"createdate": _STAMP, "lastmodifieddate": _STAMP, "hs_object_id": object_id}
        return {
            "id": object_id,
            "properties": defaults | properties,
            "createdAt": _STAMP,
            "updatedAt": _STAMP,
            "archived": False,
        }

    async def _deal(self, request: Request) -> JSONResponse:
        refused = await self._refusal(request)
        if refused is not None:
            return refused
        deal_id = request.path_params["object_id"]
        if deal_id not in self.deals:
            return _error(404, "OBJECT_NOT_FOUND", "resource not found")
        body = self._record(deal_id, {"dealstage": "closedwon"})
        wanted = request.query_params.get("associations", "").split(",")
        if "contacts" in wanted and self.deals[deal_id]:
            results = [{"id": c, "type": "deal_to_contact"} for c in self.deals[deal_id]]
            body["associations"] = {"contacts": {"results": results}}
        return JSONResponse(body)

    async def _contact(self, request: Request) -> JSONResponse:
        refused = await self._refusal(request)
        if refused is not None:
            return refused
        contact_id = request.path_params["object_id"]
        if contact_id not in self.contacts:
            return _error(404, "OBJECT_NOT_FOUND", "resource not found")
        wanted = request.query_params.get("properties", "").split(",")
        properties = {"email": self.contacts[contact_id]} if "email" in wanted else {}
        return JSONResponse(self._record(contact_id, properties))

    async def __aenter__(self) -> HubSpotDeals:
        self._task = asyncio.create_task(self._server.serve())
        deadline = time.monotonic() + 10
        while not self._server.started:
            assert time.monotonic() < deadline, "the local HubSpot never started"
            await asyncio.sleep(0.02)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.should_exit = True
        if self._task is not None:
            await self._task
