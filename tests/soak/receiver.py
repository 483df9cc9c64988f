"""The soak's webhook receiver: verifies each Standard Webhooks signature, records every
delivery by webhook-id, and answers as the fault schedule says (200, 500, 429 with
Retry-After, 410, or a hang past the router's read timeout).

It serves from its own thread and event loop, so a busy harness never makes it slow.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from typing import Literal

import uvicorn
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from leadpulse.dev.embedded import free_port

__all__ = ["Delivery", "Mode", "WebhookReceiver"]

Mode = Literal["ok", "500", "429", "410", "hang"]
_STATUS: dict[Mode, int] = {"ok": 200, "500": 500, "429": 429, "410": 410, "hang": 504}


@dataclass(frozen=True)
class Delivery:
    webhook_id: str
    status: int  # what was answered; a hang is recorded as 0 (the router gave up first)
    at: float  # time.monotonic() on arrival
    signed: bool  # the signature verified against the shared secret


class WebhookReceiver:
    """A real HTTP server on 127.0.0.1; `mode` is switched by the fault schedule."""

    def __init__(self, secret: str, hang_seconds: float) -> None:
        self.port = free_port()
        self.mode: Mode = "ok"
        self.deliveries: list[Delivery] = []
        self._verifier = Webhook(secret)
        self._hang = hang_seconds
        app = Starlette(routes=[Route("/hooks", self._handle, methods=["POST"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise TimeoutError("the webhook receiver did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        arrived = time.monotonic()
        mode = self.mode
        try:
            self._verifier.verify(body, dict(request.headers))
            signed = True
        except WebhookVerificationError:
            signed = False
        webhook_id = request.headers.get("webhook-id", "")
        if not signed:
            self.deliveries.append(Delivery(webhook_id, 400, arrived, signed))
            return Response("bad signature", status_code=400)
        if mode == "hang":
            self.deliveries.append(Delivery(webhook_id, 0, arrived, signed))
            await asyncio.sleep(self._hang)
            return Response("late", status_code=_STATUS[mode])
        self.deliveries.append(Delivery(webhook_id, _STATUS[mode], arrived, signed))
        headers = {"Retry-After": "1"} if mode == "429" else {}
        return Response(mode, status_code=_STATUS[mode], headers=headers)
