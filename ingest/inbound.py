"""Authentication of server-to-server senders (CRM, webinar platforms).

Either the secret key (`Authorization: Bearer`), or, when LP_INBOUND_SECRET is set, a
Standard Webhooks signature over the raw body: 5-minute timestamp tolerance (the library's)
and each `webhook-id` accepted once (remembered in Valkey for a day), so a captured request
cannot be replayed.
"""

from __future__ import annotations

import structlog
from fastapi import Request
from standardwebhooks import Webhook, WebhookVerificationError

from ingest.auth import Caller, require_secret_key
from ingest.body import parse_json, read_body
from ingest.errors import Forbidden, IngestError, PublishUnavailable, Unauthorized
from leadpulse.kernel.valkey import VALKEY_FAILED, Valkey

__all__ = ["Replayed", "forget_webhook_id", "require_secret_or_signature"]

log = structlog.get_logger(__name__)

_SEEN_TTL_SECONDS = 24 * 3600


class Replayed(IngestError):
    status = 409
    code = "replayed"


async def require_secret_or_signature(request: Request) -> Caller:
    """FastAPI dependency: secret key, or a valid, fresh, unseen inbound signature."""
    if request.headers.get("authorization"):
        return await require_secret_key(request)
    settings = request.app.state.settings
    if settings.inbound_secret is None or "webhook-signature" not in request.headers:
        raise Unauthorized("the secret key or a signed webhook is required")
    raw = await read_body(request, request.app.state.config.collect.max_event_bytes)
    headers = {
        name: request.headers.get(name, "")
        for name in ("webhook-id", "webhook-timestamp", "webhook-signature")
    }
    try:
        Webhook(settings.inbound_secret.get_secret_value()).verify(raw, headers)
    except WebhookVerificationError as exc:
        raise Forbidden(f"webhook signature: {exc}", field="webhook-signature") from exc
    request.state.lp_json = parse_json(raw)
    await _refuse_replay(request.app.state.redis, headers["webhook-id"])
    request.state.lp_webhook_id = headers["webhook-id"]
    return Caller("secret")


async def _refuse_replay(redis: Valkey, webhook_id: str) -> None:
    try:
        first = await redis.set(f"lp:edge:whid:{webhook_id}", b"1", nx=True, ex=_SEEN_TTL_SECONDS)
    except VALKEY_FAILED as exc:
        log.warning("webhook_replay_check_unavailable", error=type(exc).__name__)
        raise PublishUnavailable("cannot check the webhook id now") from exc
    if not first:
        raise Replayed("this webhook-id was already received", field="webhook-id")


async def forget_webhook_id(request: Request) -> None:
    """Let the sender retry a signed webhook whose events could not be accepted."""
    webhook_id = getattr(request.state, "lp_webhook_id", None)
    if webhook_id is None:
        return
    try:
        await request.app.state.redis.delete(f"lp:edge:whid:{webhook_id}")
    except VALKEY_FAILED as exc:
        log.warning("webhook_id_not_released", error=type(exc).__name__)
