"""The dashboard's alerts view: deliveries per destination, recent outcomes, the CRM
connectors, and the dead-letter queue with a replay button.

It reads the router's read models (`router.read`, from Valkey only). Replay asks the
router: the button queues a request the router carries out with its own replay, so a
letter shows "replay requested" until the router has put it back, then "replayed".
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ingest.dashboard.crm_panels import connectors_panel, crm_connectors
from ingest.dashboard.layout import esc, page, when
from ingest.dashboard.lead_alerts import kind_cell
from router import read
from router.read import DeadLetterRow, Delivery, DestinationStats

__all__ = ["router"]

router = APIRouter()

_LETTER_STATE = {"requested": "replay requested", "replayed": "replayed"}


@router.get("/alerts", response_class=HTMLResponse)
async def alerts_view(request: Request) -> Response:
    redis = request.app.state.redis
    stats = await read.delivery_stats(redis)
    recent = await read.recent_deliveries(redis, limit=50)
    letters = await read.dead_letters(redis)
    kinds = crm_connectors(request.app.state.config)
    crm = connectors_panel(await read.connectors_health(redis, kinds), kinds, time.time())
    requested = request.query_params.get("replayed")
    note = (
        f'<p class="muted">Replay requested for {esc(requested)} alert(s).</p>' if requested else ""
    )
    waiting = sum(1 for letter in letters if letter.state != "replayed")
    body = f"""<div class="card"><h1>Alerts</h1><p class="muted">What the router delivered,
retried and parked. Dead letters can be sent again once the destination is fixed.</p>{note}
</div>
<div class="card"><h2>Per destination</h2><table id="destinations"><tr><th>destination</th>
<th class="num">delivered</th><th class="num">retries</th><th class="num">dead-lettered</th>
</tr>{_stat_rows(stats)}</table></div>{crm}
<div class="card"><h2>Dead-letter queue ({waiting})</h2><table id="dead-letters"><tr>
<th>alert</th><th>type</th><th>destination</th><th>reason</th><th>failed</th><th></th></tr>
{"".join(_letter_row(letter) for letter in letters)}</table></div>
<div class="card"><h2>Recent deliveries</h2><table id="deliveries"><tr><th>when</th>
<th>type</th><th>lead</th><th>destination</th><th>outcome</th><th class="num">tries</th>
<th>reason</th></tr>{"".join(_delivery_row(item) for item in recent)}</table></div>"""
    return HTMLResponse(page("Alerts", body, active="alerts"))


def _stat_rows(stats: list[DestinationStats]) -> str:
    return "".join(
        f'<tr><td>{esc(s.destination)}</td><td class="num">{s.delivered:,}</td>'
        f'<td class="num">{s.retried:,}</td><td class="num">{s.dead:,}</td></tr>'
        for s in stats
    )


def _delivery_row(item: Delivery) -> str:
    tone = "success" if item.outcome == "delivered" else "setback"
    return (
        f"<tr><td>{item.at:%Y-%m-%d %H:%M:%S}</td>{kind_cell(item.type)}"
        f'<td><a href="/dashboard/leads/{esc(item.lead_id)}">{esc(item.lead_id)}</a></td>'
        f'<td>{esc(item.destination)}</td><td><span class="pill {tone}">{esc(item.outcome)}'
        f'</span></td><td class="num">{item.attempts}</td><td>{esc(item.reason or "")}</td></tr>'
    )


def _letter_row(letter: DeadLetterRow) -> str:
    if letter.state == "open":
        action = (
            '<form method="post" action="/dashboard/alerts/replay">'
            f'<input type="hidden" name="alert_id" value="{esc(letter.alert_id)}">'
            '<button class="primary" type="submit">Replay</button></form>'
        )
    else:
        action = f'<span class="pill inactive">{_LETTER_STATE[letter.state]}</span>'
    return (
        f'<tr data-letter="{esc(letter.letter_id)}" data-state="{letter.state}">'
        f"<td><code>{esc(letter.alert_id)}</code></td>{kind_cell(letter.type)}"
        f"<td>{esc(letter.destination)}</td><td>{esc(letter.reason)}</td>"
        f"<td>{when(letter.failed_at)}</td><td>{action}</td></tr>"
    )


@router.post("/alerts/replay")
async def replay(request: Request) -> Response:
    if not _same_origin(request):
        return HTMLResponse("cross-site request refused", status_code=403)
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    alert_ids = [value for value in form.get("alert_id", []) if value]
    if not alert_ids:
        return HTMLResponse("alert_id: required", status_code=400)
    count = await read.request_replay(request.app.state.redis, alert_ids)
    return RedirectResponse(f"/dashboard/alerts?replayed={count}", status_code=303)


def _same_origin(request: Request) -> bool:
    """Beside SameSite=Strict: a state-changing post must come from the dashboard's origin."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin is None:
        return True  # not a browser cross-site post; the session cookie still had to be sent
    return urlsplit(origin).netloc == request.url.netloc
