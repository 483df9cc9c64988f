"""The soak's webhook receiver: verifies each Standard Webhooks signature, records every
delivery by webhook-id, and answers as the fault schedule says (200, 500, 429 with
Retry-After, 410, or a hang past the router's read timeout).

It serves from a process of its own: a receiver sharing the harness's interpreter stalls
whenever the harness is busy, the router's read timeout fires on requests it has not
answered yet, and answers it sends later (to a router that gave up) would look like
deliveries. For the same reason a request whose sender has already hung up is recorded
as 0, like a hang: the router never saw its answer.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import time
import urllib.request
from dataclasses import asdict, dataclass
from multiprocessing.sharedctypes import Synchronized
from typing import Literal

import uvicorn
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from leadpulse.dev.embedded import free_port, wait_for_port

__all__ = ["Delivery", "Mode", "WebhookReceiver"]

Mode = Literal["ok", "500", "429", "410", "hang"]
MODES: tuple[Mode, ...] = ("ok", "500", "429", "410", "hang")
_STATUS: dict[Mode, int] = {"ok": 200, "500": 500, "429": 429, "410": 410, "hang": 504}


@dataclass(frozen=True)
class Delivery:
    webhook_id: str
    status: int  # what was answered: 0 if the router had given up (a hang, or it hung up)
    at: float  # time.monotonic() on arrival (system-wide, so comparable across processes)
    signed: bool  # the signature verified against the shared secret


class WebhookReceiver:
    """A real HTTP server on 127.0.0.1 in a child process; `mode` is switched by the
    fault schedule through shared memory."""

    def __init__(self, secret: str, hang_seconds: float) -> None:
        self.port = free_port()
        context = multiprocessing.get_context("spawn")
        self._mode: Synchronized[int] = context.Value("i", 0)
        self._process = context.Process(
            target=_serve,
            args=(self.port, secret, hang_seconds, self._mode),
            name="soak-webhook-receiver",
            daemon=True,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    @property
    def mode(self) -> Mode:
        return MODES[self._mode.value]

    @mode.setter
    def mode(self, mode: Mode) -> None:
        self._mode.value = MODES.index(mode)

    def start(self) -> None:
        self._process.start()
        wait_for_port(self.port, timeout=20)

    def deliveries(self) -> list[Delivery]:
        """Every request received so far, in arrival order."""
        url = f"http://127.0.0.1:{self.port}/deliveries"
        with urllib.request.urlopen(url, timeout=30) as answer:
            return [Delivery(**row) for row in json.loads(answer.read())]

    def stop(self) -> None:
        self._process.terminate()
        self._process.join(10)


def _serve(
    port: int,
    secret: str,
    hang_seconds: float,
    mode: Synchronized[int],
) -> None:
    verifier = Webhook(secret)
    deliveries: list[Delivery] = []

    async def hooks(request: Request) -> Response:
        try:
            body = await request.body()
        except ClientDisconnect:
            return Response(status_code=400)  # the router went (killed) mid-request: no answer
        arrived = time.monotonic()
        answer_mode = MODES[mode.value]
        webhook_id = request.headers.get("webhook-id", "")
        try:
            verifier.verify(body, dict(request.headers))
        except WebhookVerificationError:
            deliveries.append(Delivery(webhook_id, 400, arrived, signed=False))
            return Response("bad signature", status_code=400)
        gone = await request.is_disconnected()
        if answer_mode == "hang":
            deliveries.append(Delivery(webhook_id, 0, arrived, signed=True))
            await asyncio.sleep(hang_seconds)
            return Response("late", status_code=_STATUS[answer_mode])
        status = _STATUS[answer_mode]
        deliveries.append(Delivery(webhook_id, 0 if gone else status, arrived, signed=True))
        headers = {"Retry-After": "1"} if answer_mode == "429" else {}
        return Response(answer_mode, status_code=status, headers=headers)

    async def listing(_: Request) -> Response:
        return JSONResponse([asdict(delivery) for delivery in deliveries])

    app = Starlette(
        routes=[
            Route("/hooks", hooks, methods=["POST"]),
            Route("/deliveries", listing, methods=["GET"]),
        ]
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
