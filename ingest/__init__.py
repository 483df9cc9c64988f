"""The collection edge: every tracking channel, authenticated, validated, enriched and
published durably to the events topic (or the local spool while the broker is away)."""

from __future__ import annotations

import asyncio

import structlog
import uvicorn

from ingest.app import create_app
from ingest.links import mint_links
from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.health import QuietServer
from leadpulse.kernel.settings import Settings

__all__ = ["create_app", "mint_links", "run"]

log = structlog.get_logger(__name__)


async def run(settings: Settings, config: LeadPulseConfig, stop: asyncio.Event) -> None:
    """Serve ingest on LP_HTTP_HOST:LP_HTTP_PORT until `stop` is set, then shut down in order.

    uvicorn stops taking connections and finishes in-flight requests; then the app's
    lifespan drains the spool replay, flushes the producer and closes Valkey.
    """
    server = QuietServer(
        uvicorn.Config(
            create_app(settings, config),
            host=settings.http_host,
            port=settings.http_port,
            log_level="warning",
            access_log=False,  # paths carry signed tokens; the edge logs its own facts
            # X-Forwarded-For is judged by ingest against LP_TRUSTED_PROXIES, not uvicorn.
            proxy_headers=False,
            lifespan="on",
            timeout_graceful_shutdown=10,
        )
    )
    serving = asyncio.create_task(server.serve(), name="ingest-http")
    stopping = asyncio.create_task(stop.wait(), name="ingest-stop")
    done, _ = await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if stopping in done:
        server.should_exit = True
        await serving
    else:
        stopping.cancel()
        serving.result()  # surface why the server ended on its own
        if not server.started:
            raise RuntimeError("ingest could not start")
