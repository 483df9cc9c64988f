"""The ingest application: routes, lifespan (Valkey client, publisher), health, metrics.

Parts are assembled in the lifespan and torn down in a fixed order: uvicorn has stopped
taking requests by then, so the publisher drains its replay and flushes the producer
before the Valkey client closes.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from aiokafka.errors import KafkaError
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ingest.cors import WriteCors
from ingest.crm_inbound import crm_inbound_routers, hubspot_resolver
from ingest.enrich import parse_agent, trusted_networks
from ingest.errors import install_error_handlers
from ingest.metrics import READY, exposition_registry
from ingest.publisher import Publisher
from ingest.routes import collect, email, links, segment_api, webhooks
from leadpulse.kernel.config import LeadPulseConfig, load_config
from leadpulse.kernel.kafka import ensure_topics
from leadpulse.kernel.logs import configure_logging
from leadpulse.kernel.settings import Settings, with_dev_keys
from leadpulse.kernel.valkey import VALKEY_FAILED, connect_valkey

__all__ = ["create_app", "create_app_from_env", "write_paths"]

log = structlog.get_logger(__name__)

_ENSURE_TOPICS_TIMEOUT = 10.0
_GC_YOUNG_THRESHOLD = 10_000


async def _ensure_topics(settings: Settings) -> None:
    """Create missing topics; a broker that is down now is the spool's business, not ours."""
    try:
        await asyncio.wait_for(ensure_topics(settings), _ENSURE_TOPICS_TIMEOUT)
    except (KafkaError, OSError, TimeoutError) as exc:
        log.warning("topics_not_ensured", error=type(exc).__name__)


def _lifespan(settings: Settings, config: LeadPulseConfig) -> Any:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.config = config
        app.state.trusted_networks = trusted_networks(settings.trusted_proxies)
        redis = connect_valkey(settings)
        app.state.redis = redis
        publisher = Publisher(settings)
        hubspot = hubspot_resolver(settings, config)
        app.state.hubspot_contacts = hubspot
        # The user-agent parser compiles its patterns on first use: not on a request's time.
        parse_agent("Mozilla/5.0 (warm-up)")
        try:
            await _ensure_topics(settings)
            await publisher.start()
            app.state.publisher = publisher
            # Everything built so far lives as long as the process: keep the cyclic GC from
            # rescanning it on every collection (the request path allocates a lot).
            gc.freeze()
            # A batch request allocates thousands of short-lived containers, nearly all freed
            # by reference counting; at the default 700 the youngest generation was still
            # collected about once a request (~1 us an event), at 10,000 almost never.
            gc.set_threshold(_GC_YOUNG_THRESHOLD)
            log.info(
                "ingest_started",
                topic=settings.topics.events,
                spooled=publisher.spool.events,
                direct=publisher.direct,
            )
            yield
        finally:
            await publisher.stop()
            if hubspot is not None:
                hubspot.close()
            await redis.aclose()
            log.info("ingest_stopped")

    return lifespan


async def _healthz(_request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def _readiness(request: Request) -> dict[str, Any]:
    """Whether this edge can take events durably now; the ready gauge follows.

    Valkey must answer (intake checks the suppression list), and the broker must answer or
    the spool have room: a broker outage alone keeps the edge ready, because taking it out
    of the load balancer would lose what browsers and pixels send meanwhile, which the
    spool is there to keep. The checks say which is which.
    """
    publisher: Publisher = request.app.state.publisher
    checks = {
        "broker": await publisher.broker_ready(),
        "spool": publisher.spool.accepting,
        "valkey": await _valkey_ready(request),
    }
    ready = checks["valkey"] and (checks["broker"] or checks["spool"])
    READY.set(1 if ready else 0)
    return {"ready": ready, "checks": checks, "spooled": publisher.spool.events}


async def _readyz(request: Request) -> Response:
    """200 when this edge can take events durably (see `_readiness`), else 503."""
    body = await _readiness(request)
    return JSONResponse(body, status_code=200 if body["ready"] else 503)


async def _valkey_ready(request: Request) -> bool:
    try:
        return bool(await asyncio.wait_for(request.app.state.redis.ping(), 2.0))
    except VALKEY_FAILED:  # wait_for's TimeoutError is an OSError
        return False


async def _metrics(request: Request) -> Response:
    # A scrape reads readiness as of now, whether or not anything probes /readyz.
    await _readiness(request)
    return Response(generate_latest(request.app.state.metrics), media_type=CONTENT_TYPE_LATEST)


def write_paths() -> frozenset[str]:
    """Every path a browser SDK posts events to."""
    singles = (path for paths in segment_api.SINGLE_PATHS.values() for path in paths)
    batches = (*segment_api.BATCH_PATHS, segment_api.BEACON_PATH, "/v1/collect")
    return frozenset((*batches, *singles))


def create_app(settings: Settings, config: LeadPulseConfig) -> FastAPI:
    """The ingest app; nothing connects until its lifespan starts."""
    from ingest import dashboard, demo, read_api

    app = FastAPI(
        title="LeadPulse ingest",
        lifespan=_lifespan(settings, config),
        docs_url=None,
        redoc_url=None,
    )
    # Also set here so routes work when a test serves the app without a lifespan.
    app.state.settings = settings
    app.state.config = config
    app.state.trusted_networks = trusted_networks(settings.trusted_proxies)
    secret = settings.secret_key
    app.state.user_hash_key = secret.get_secret_value().encode() if secret else None
    app.state.metrics = exposition_registry()
    install_error_handlers(app)
    app.add_middleware(
        WriteCors,
        paths=write_paths(),
        # The site's pages, and ingest's own (the demo site lives there).
        origins=[*config.site.origins, settings.base_url],
    )
    app.add_route("/healthz", _healthz, include_in_schema=False)
    app.add_route("/readyz", _readyz, include_in_schema=False)
    app.add_route("/metrics", _metrics, include_in_schema=False)
    for router in (segment_api.router, collect.router, email.router, links.router, webhooks.router):
        app.include_router(router)
    for router in crm_inbound_routers():
        app.include_router(router)
    app.include_router(read_api.router)
    dashboard.mount(app)
    app.include_router(demo.router)
    if settings.dev_inbox:
        from ingest import dev_inbox as inbox

        app.include_router(inbox.router)
    return app


def create_app_from_env() -> FastAPI:
    """For `uvicorn --factory --workers N ingest.app:create_app_from_env`."""
    settings = with_dev_keys(Settings())
    configure_logging(settings.log_format, settings.log_level)
    # Request paths carry signed email tokens: uvicorn's access log would write them out.
    logging.getLogger("uvicorn.access").disabled = True
    return create_app(settings, load_config(settings.config))
