"""The dashboard's alerts view: deliveries per destination, recent outcomes, and the
dead-letter queue with a replay button.

It reads the router's own history and dead letters and replays with the router's own
function (an import the boundary contract names), so the view and `leadpulse dlq` agree.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ingest.dashboard.crm_panels import connectors_panel, crm_connectors
from ingest.dashboard.layout import esc, page
from ingest.dashboard.lead_alerts import kind_cell
from ingest.dashboard.session import is_logged_in
from router.dlq import list_dead_letters, replay_dead_letters
from router.history import delivery_stats, recent_deliveries
from scorer.crm_reads import connectors_health

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/dashboard/alerts", response_class=HTMLResponse)
async def alerts_view(request: Request) -> Response:
    if not is_logged_in(request):
        return RedirectResponse("/dashboard/login", status_code=303)
    redis = request.app.state.redis
    stats = await delivery_stats(redis)
    recent = await recent_deliveries(redis, limit=50)
    letters = await list_dead_letters(request.app.state.settings)
    kinds = crm_connectors(request.app.state.config)
    crm = connectors_panel(await connectors_health(redis, kinds), kinds, time.time())
    replayed = request.query_params.get("replayed")
    note = f'<p class="muted">Replayed {esc(replayed)} alert(s).</p>' if replayed else ""
    stat_rows = "".join(
        f'<tr><td>{esc(name)}</td><td class="num">{c["delivered"]:,}</td>'
        f'<td class="num">{c["retried"]:,}</td><td class="num">{c["dead"]:,}</td></tr>'
        for name, c in sorted(stats.items())
    )
    recent_rows = "".join(
        f"<tr><td>{esc(item.get('at', '')[:19].replace('T', ' '))}</td>"
        f"{kind_cell(item.get('type'))}"
        f'<td><a href="/dashboard/leads/{esc(item.get("lead_id"))}">{esc(item.get("lead_id"))}'
        f"</a></td><td>{esc(item.get('destination'))}</td>"
        f'<td><span class="pill {"success" if item.get("outcome") == "delivered" else "setback"}'
        f'">{esc(item.get("outcome"))}</span></td>'
        f'<td class="num">{esc(item.get("attempts"))}</td><td>{esc(item.get("reason", ""))}</td>'
        "</tr>"
        for item in recent
    )
    letter_rows = "".join(
        f"<tr><td><code>{esc(letter.alert.alert_id)}</code></td>{kind_cell(letter.alert.type)}"
        f"<td>{esc(letter.destination)}</td><td>{esc(letter.reason)}</td>"
        f"<td>{letter.failed_at:%Y-%m-%d %H:%M}</td><td>"
        '<form method="post" action="/dashboard/alerts/replay">'
        f'<input type="hidden" name="alert_id" value="{esc(letter.alert.alert_id)}">'
        '<button class="primary" type="submit">Replay</button></form></td></tr>'
        for letter in letters
    )
    body = f"""<div class="card"><h1>Alerts</h1><p class="muted">What the router delivered,
retried and parked. Dead letters can be sent again once the destination is fixed.</p>{note}
</div>
<div class="card"><h2>Per destination</h2><table id="destinations"><tr><th>destination</th>
<th class="num">delivered</th><th class="num">retries</th><th class="num">dead-lettered</th>
</tr>{stat_rows}</table></div>{crm}
<div class="card"><h2>Dead-letter queue ({len(letters)})</h2><table id="dead-letters"><tr>
<th>alert</th><th>type</th><th>destination</th><th>reason</th><th>failed</th><th></th></tr>
{letter_rows}</table></div>
<div class="card"><h2>Recent deliveries</h2><table id="deliveries"><tr><th>when</th>
<th>type</th><th>lead</th><th>destination</th><th>outcome</th><th class="num">tries</th>
<th>reason</th></tr>{recent_rows}</table></div>"""
    return HTMLResponse(page("Alerts", body, active="alerts"))


@router.post("/dashboard/alerts/replay")
async def replay(request: Request) -> Response:
    if not is_logged_in(request):
        return RedirectResponse("/dashboard/login", status_code=303)
    if not _same_origin(request):
        return HTMLResponse("cross-site request refused", status_code=403)
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    alert_ids = [value for value in form.get("alert_id", []) if value]
    if not alert_ids:
        return HTMLResponse("alert_id: required", status_code=400)
    count = await replay_dead_letters(request.app.state.settings, alert_ids)
    return RedirectResponse(f"/dashboard/alerts?replayed={count}", status_code=303)


def _same_origin(request: Request) -> bool:
    """Beside SameSite=Strict: a state-changing post must come from the dashboard's origin."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin is None:
        return True  # not a browser cross-site post; the session cookie still had to be sent
    return urlsplit(origin).netloc == request.url.netloc
