"""The local alert inbox of `leadpulse dev` (`/inbox`): receives and verifies webhooks.

The router delivers to `POST /inbox/hooks` like to any receiver. Each webhook is verified
with LP_WEBHOOK_SECRET (every secret of a rotation) through the `standardwebhooks`
library and kept in Valkey, newest first, with its verdict. Verified ones are deduped by
`webhook-id`, as a real receiver should; an unverified one is shown, marked, and answered
401 so the sender sees the failure (and dead-letters it) instead of believing it landed.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from standardwebhooks import Webhook, WebhookVerificationError

from leadpulse.kernel.settings import Settings

__all__ = ["INBOX_KEY", "INBOX_SIZE", "router"]

router = APIRouter()

INBOX_KEY = "lp:inbox:alerts"
INBOX_SIZE = 200
_SEEN_TTL_SECONDS = 7 * 24 * 3600
_MAX_BODY_BYTES = 1024 * 1024


def _error(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    error: dict[str, str] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    return JSONResponse({"error": error}, status_code=status)


def _verified(settings: Settings, body: bytes, headers: dict[str, str]) -> bool:
    if settings.webhook_secret is None:
        return False
    for secret in settings.webhook_secret.get_secret_value().split():
        try:
            Webhook(secret).verify(body, headers, json_parse=False)
        except WebhookVerificationError:
            continue
        return True
    return False


@router.post("/inbox/hooks")
async def receive_hook(request: Request) -> Response:
    """Verify, dedupe and keep one webhook; 202 when verified, 401 when not."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > _MAX_BODY_BYTES:
        return _error(413, "too_large", f"the body exceeds {_MAX_BODY_BYTES} bytes", "body")
    body = await request.body()
    if len(body) > _MAX_BODY_BYTES:
        return _error(413, "too_large", f"the body exceeds {_MAX_BODY_BYTES} bytes", "body")
    webhook_id = request.headers.get("webhook-id", "").strip()
    if not webhook_id or len(webhook_id) > 200:
        return _error(400, "missing_header", "webhook-id is required (1-200 chars)", "webhook-id")
    try:
        alert = orjson.loads(body)
    except orjson.JSONDecodeError:
        return _error(400, "invalid_json", "the body is not valid JSON", "body")
    if not isinstance(alert, dict):
        return _error(400, "invalid_body", "the body must be a JSON object", "body")
    settings: Settings = request.app.state.settings
    redis = request.app.state.redis
    verified = _verified(settings, body, dict(request.headers))
    if verified and not await redis.set(
        f"lp:inbox:seen:{{{webhook_id}}}", "1", nx=True, ex=_SEEN_TTL_SECONDS
    ):
        return JSONResponse({"status": "duplicate", "webhook_id": webhook_id}, status_code=200)
    entry = {
        "webhook_id": webhook_id,
        "received_at": datetime.now(UTC).isoformat(),
        "verified": verified,
        "alert": alert,
    }
    await redis.lpush(INBOX_KEY, orjson.dumps(entry))
    await redis.ltrim(INBOX_KEY, 0, INBOX_SIZE - 1)
    if not verified:
        return _error(
            401, "bad_signature", "the webhook signature does not verify", "webhook-signature"
        )
    return JSONResponse({"status": "accepted", "webhook_id": webhook_id}, status_code=202)


async def _entries(request: Request) -> list[dict[str, Any]]:
    raw = await request.app.state.redis.lrange(INBOX_KEY, 0, INBOX_SIZE - 1)
    return [orjson.loads(item) for item in raw]


@router.get("/inbox.json")
async def inbox_json(request: Request) -> Response:
    """The inbox as JSON, newest first: `{"alerts": [{webhook_id, received_at, verified,
    alert}]}`."""
    return JSONResponse({"alerts": await _entries(request)})


def _text(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _card(entry: dict[str, Any]) -> str:
    alert = entry.get("alert") or {}
    lead = alert.get("lead") or {}
    badge = (
        '<span class="badge ok">verified</span>'
        if entry.get("verified")
        else '<span class="badge bad">NOT verified</span>'
    )
    reasons = "".join(
        f"<li>{_text(r.get('rule'))} <b>{_text(r.get('points'))}</b></li>"
        for r in (lead.get("top_reasons") or [])[:3]
        if isinstance(r, dict)
    )
    interests = ", ".join(_text(i) for i in lead.get("interests") or []) or "none yet"
    who = _text(lead.get("email") or lead.get("lead_id"))
    return f"""<article>
  <header>{badge} <b>{_text(alert.get("type"))}</b> · {who}
    · {_text(lead.get("account"))} <time>{_text(entry.get("received_at"))}</time></header>
  <p>{_text(alert.get("reason"))}</p>
  <p>score <b>{_text(lead.get("score"))}</b> · stage {_text(lead.get("stage"))}
    · consideration {_text(lead.get("consideration"))} · owner {_text(alert.get("owner"))}</p>
  <p>interests: {interests}</p>
  <ul>{reasons}</ul>
  <small>webhook-id {_text(entry.get("webhook_id"))}</small>
</article>"""


@router.get("/inbox", response_class=HTMLResponse)
async def inbox_page(request: Request) -> HTMLResponse:
    """The inbox for a person: the alerts the router delivered here, newest first."""
    entries = await _entries(request)
    cards = "\n".join(_card(entry) for entry in entries) or "<p>No alerts yet.</p>"
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>LeadPulse inbox</title>
<meta http-equiv="refresh" content="5">
<style>
body {{ font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; }}
article {{ border: 1px solid #ddd; border-radius: 6px; padding: .5rem 1rem; margin: .8rem 0; }}
.badge {{ border-radius: 4px; padding: 0 .4rem; color: #fff; font-size: .8rem; }}
.ok {{ background: #1a7f37; }} .bad {{ background: #cf222e; }}
time {{ color: #666; float: right; }}
</style></head>
<body><h1>Alert inbox</h1><p>{len(entries)} alerts, newest first.</p>
{cards}
</body></html>"""
    return HTMLResponse(page)
