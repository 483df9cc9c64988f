"""Health and metrics endpoints for the processes that serve no other HTTP (scorer, router)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Generator

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from leadpulse.kernel.lifecycle import Lifecycle

__all__ = ["HealthServer", "QuietServer"]

ReadyCheck = Callable[[], Awaitable[dict[str, bool]]]
_CHECK_SECONDS = 2.0


class QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signals alone: the CLI catches them once, for all parts."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class HealthServer(Lifecycle):
    """A small HTTP server on 127.0.0.1:`port`; `ready()` returns named checks, all must hold."""

    def __init__(
        self, host: str, port: int, ready: ReadyCheck, ready_gauge: Gauge | None = None
    ) -> None:
        self._ready = ready
        self._ready_gauge = ready_gauge
        app = Starlette(
            routes=[
                Route("/healthz", self._healthz),
                Route("/readyz", self._readyz),
                Route("/metrics", self._metrics),
            ]
        )
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
        self._server = QuietServer(config)
        self._task: asyncio.Task[None] | None = None

    async def _healthz(self, _request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def _check(self) -> tuple[int, dict[str, object]]:
        """Run the checks once; the ready gauge follows the answer."""
        try:
            checks = await asyncio.wait_for(self._ready(), _CHECK_SECONDS)
        except Exception as exc:  # noqa: BLE001 - a failing check is a "not ready" answer
            self._set_ready(False)
            return 503, {"ready": False, "error": type(exc).__name__}
        ready = all(checks.values())
        self._set_ready(ready)
        return 200 if ready else 503, {"ready": ready, "checks": checks}

    def _set_ready(self, ready: bool) -> None:
        if self._ready_gauge is not None:
            self._ready_gauge.set(1 if ready else 0)

    async def _readyz(self, _request: Request) -> Response:
        status, body = await self._check()
        return JSONResponse(body, status_code=status)

    async def _metrics(self, _request: Request) -> Response:
        if self._ready_gauge is not None:
            # A scrape reads readiness as of now, whether or not anything probes /readyz.
            await self._check()
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    async def _start(self) -> None:
        self._task = asyncio.create_task(self._server.serve(), name="health-server")

    async def _stop(self) -> None:
        if self._task is None or self._task.done():
            return
        self._server.should_exit = True
        await self._task
