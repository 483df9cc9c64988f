"""The dashboard's account page (its people and buying group) and the live activity feed
every page polls, read through `scorer.store`."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from ingest.dashboard.layout import esc, page, when
from ingest.dashboard.lead_views import pill
from scorer import store

__all__ = ["router"]

router = APIRouter()


@router.get("/accounts/{account_id}", response_class=HTMLResponse)
async def account_view(account_id: str, request: Request) -> Response:
    account = await store.get_account(request.app.state.redis, account_id)
    if account is None:
        body = f'<div class="card"><h1>No such account</h1><p>{esc(account_id)}</p></div>'
        return HTMLResponse(page("Account", body, active="leads"), status_code=404)
    people = "".join(
        f'<tr><td><a href="/dashboard/leads/{esc(p["lead_id"])}">'
        f"{esc(p.get('email') or p['lead_id'])}</a></td><td>{pill(p.get('stage'))}</td>"
        f'<td class="num">{float(p.get("score", 0)):.1f}</td></tr>'
        for p in account.get("people", [])
    )
    group = account.get("buying_group") or {}
    signal = (
        ("<b>Buying group active</b>: " if group.get("active") else "No buying group yet: ")
        + f"{int(group.get('engaged_people', 0))} engaged people in the last "
        f"{group.get('days', '?')} days (needs {group.get('people', '?')})."
    )
    traits = "".join(
        f"<dt>{esc(name)}</dt><dd>{esc(str(value))}</dd>"
        for name, value in sorted((account.get("traits") or {}).items())
    )
    about = f'<dl id="account-traits">{traits}</dl>' if traits else ""
    body = f"""<div class="card"><h1>{esc(account.get("account_id", account_id))}</h1>{about}
<p>Account score <b id="account-score">{float(account.get("score", 0)):.1f}</b>
({esc(account.get("score_mode", ""))})</p><p id="buying-group">{signal}</p></div>
<div class="card"><h2>People</h2><table id="people"><tr><th>lead</th><th>stage</th>
<th class="num">score</th></tr>{people}</table></div>"""
    return HTMLResponse(page("Account", body, active="leads"))


@router.get("/live.json")
async def live(request: Request) -> Response:
    activity = await store.recent_activity(request.app.state.redis, limit=30)
    shown = [
        {
            "at": when(item.get("at")),
            "lead_id": item.get("lead_id"),
            "label": item.get("email") or item.get("lead_id"),
            "text": f"{item.get('from') or 'new'} → {item.get('to')}"
            + (f" ({item['reason']})" if item.get("reason") else ""),
        }
        for item in activity
    ]
    return JSONResponse({"activity": shown, "at": datetime.now(UTC).isoformat()})
