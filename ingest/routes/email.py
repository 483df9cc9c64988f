"""Email opens (`/o/{token}.gif`) and clicks (`/r/{token}`).

The token is signed and carries the destination: a forged, altered or expired one never
redirects anywhere but the site's own configured home page, and the destination is
checked again before every redirect. Opens and clicks by security scanners (HEAD or
prefetch requests, known agents, too soon after the send or the open, a burst of links)
are published flagged, so they score nothing.
"""

from __future__ import annotations

import time
import uuid

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from ingest.errors import BadInput, PublishUnavailable
from ingest.intake import accept_events, received_for
from ingest.metrics import EVENTS_REJECTED
from ingest.routes.collect import PIXEL_GIF
from ingest.scanner import ActivityFacts, EmailActivity, is_prefetch, scanner_reason
from ingest.segment import Received
from ingest.tokens import EmailToken, TokenError, TokenExpired, TokenKind, load_token
from ingest.urls import safe_destination
from leadpulse.kernel.schema import (
    Campaign,
    EventContext,
    EventEnvelope,
    EventFlags,
    Identity,
    Source,
)

__all__ = ["router"]

router = APIRouter()
log = structlog.get_logger(__name__)

_NO_STORE = {"Cache-Control": "no-store, max-age=0", "Referrer-Policy": "no-referrer"}


def _load(request: Request, kind: TokenKind, text: str) -> EmailToken:
    secret = request.app.state.settings.require_secret("token_secret")
    return load_token(secret, kind, text, time.time())


def _envelope(
    received: Received, token: EmailToken, name: str, reason: str | None, properties: dict[str, str]
) -> EventEnvelope:
    return EventEnvelope(
        event_id=str(uuid.uuid4()),
        type="track",
        event=name,
        source=received.source,
        identity=Identity(email=token.email),
        properties=properties,
        context=EventContext(
            ip=received.ip,
            user_agent=received.user_agent,
            browser=received.browser,
            os=received.os,
            device=received.device,
            url=properties.get("url"),
            campaign=Campaign(source="email", medium="email", name=token.campaign),
        ),
        flags=EventFlags(
            bot=received.bot,
            scanner=reason is not None,
            noise_reason=reason or ("bot" if received.bot else None),
            consent=received.consent,
            # The recipient is proven by our own signature on the token.
            identity_trust="verified",
        ),
        timestamp=received.received_at,
        received_at=received.received_at,
    )


def _properties(token: EmailToken, reason: str | None, url: str | None = None) -> dict[str, str]:
    found = {"campaign": token.campaign, "url": url, "scanner_reason": reason}
    return {key: value for key, value in found.items() if value}


async def _publish_quietly(request: Request, event: EventEnvelope, source: Source) -> None:
    """Publish; a person is never kept from their page or image by our own trouble."""
    try:
        await accept_events(request, [event], source)
    except PublishUnavailable:
        EVENTS_REJECTED.labels("unavailable", source).inc()
        log.warning("email_event_not_published", source=source, event_id=event.event_id)


@router.api_route("/o/{token}.gif", methods=["GET", "HEAD"], include_in_schema=False)
async def email_open(token: str, request: Request) -> Response:
    """The open pixel: a 1x1 GIF; a forged token is a 400, an expired one records nothing."""
    try:
        opened = _load(request, "open", token)
    except TokenExpired:
        EVENTS_REJECTED.labels("expired_token", "email_open").inc()
        return Response(PIXEL_GIF, media_type="image/gif", headers=_NO_STORE)
    except TokenError as exc:
        raise BadInput("token: not a valid open token", field="token", code="bad_token") from exc
    received = received_for(request, "email_open", trusted=True)
    now = received.received_at.timestamp()
    activity = EmailActivity(request.app.state.redis, request.app.state.config.collect.scanner)
    facts = await activity.opened(opened.email, opened.campaign, opened.sent_at, now)
    reason = _reason(request, received, facts, click=False)
    event = _envelope(received, opened, "Email Opened", reason, _properties(opened, reason))
    await _publish_quietly(request, event, "email_open")
    return Response(PIXEL_GIF, media_type="image/gif", headers=_NO_STORE)


def _reason(
    request: Request, received: Received, facts: ActivityFacts, *, click: bool
) -> str | None:
    return scanner_reason(
        request.method,
        is_prefetch(request.headers),
        received.user_agent,
        facts,
        request.app.state.config.collect.scanner,
        click=click,
    )


def _home(request: Request) -> RedirectResponse:
    return RedirectResponse(
        request.app.state.config.site.home_url, status_code=302, headers=_NO_STORE
    )


@router.api_route("/r/{token}", methods=["GET", "HEAD"], include_in_schema=False)
async def email_click(token: str, request: Request) -> Response:
    """The click redirect: to the token's destination, or the site's home page if bad."""
    try:
        clicked = _load(request, "click", token)
        destination = safe_destination(clicked.url)
    except TokenExpired:
        EVENTS_REJECTED.labels("expired_token", "email_click").inc()
        return _home(request)
    except (TokenError, ValueError):
        EVENTS_REJECTED.labels("bad_token", "email_click").inc()
        return _home(request)
    received = received_for(request, "email_click", trusted=True)
    now = received.received_at.timestamp()
    activity = EmailActivity(request.app.state.redis, request.app.state.config.collect.scanner)
    facts = await activity.clicked(
        clicked.email, clicked.campaign, destination, clicked.sent_at, now
    )
    reason = _reason(request, received, facts, click=True)
    properties = _properties(clicked, reason, destination)
    event = _envelope(received, clicked, "Email Link Clicked", reason, properties)
    await _publish_quietly(request, event, "email_click")
    return RedirectResponse(destination, status_code=302, headers=_NO_STORE)
