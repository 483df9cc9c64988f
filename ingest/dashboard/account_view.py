"""The dashboard's account page (its people and buying group) and the live activity feed
every page polls, from `scorer.read.facade`'s typed models."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from ingest.dashboard.layout import esc, page, when
from ingest.dashboard.lead_views import pill
from scorer.read import facade as read
from scorer.read.facade import BuyingGroup

__all__ = ["router"]

router = APIRouter()


@router.get("/accounts/{account_id}", response_class=HTMLResponse)
async def account_view(account_id: str, request: Request) -> Response:
    account = await read.account_view(request.app.state.redis, account_id)
    if account is None:
        body = f'<div class="card"><h1>No such account</h1><p>{esc(account_id)}</p></div>'
        return HTMLResponse(page("Account", body, active="leads"), status_code=404)
    people = "".join(
        f'<tr><td><a href="/dashboard/leads/{esc(p.lead_id)}">'
        f"{esc(p.email or p.lead_id)}</a></td><td>{pill(p.stage)}</td>"
        f'<td class="num">{p.score:.1f}</td></tr>'
        for p in account.people
    )
    traits = "".join(
        f"<dt>{esc(name)}</dt><dd>{esc(str(value))}</dd>"
        for name, value in sorted(account.traits.items())
    )
    about = f'<dl id="account-traits">{traits}</dl>' if traits else ""
    body = f"""<div class="card"><h1>{esc(account.account_id)}</h1>{about}
<p>Account score <b id="account-score">{account.score:.1f}</b>
({esc(account.score_mode)})</p><p id="buying-group">{_signal(account.buying_group)}</p></div>
<div class="card"><h2>People</h2><table id="people"><tr><th>lead</th><th>stage</th>
<th class="num">score</th></tr>{people}</table></div>"""
    return HTMLResponse(page("Account", body, active="leads"))


def _signal(group: BuyingGroup) -> str:
    def shown(value: float | None) -> str:
        return "?" if value is None else str(value)

    return (
        ("<b>Buying group active</b>: " if group.active else "No buying group yet: ")
        + f"{group.engaged_people} engaged people in the last "
        f"{shown(group.days)} days (needs {shown(group.people)})."
    )


@router.get("/live.json")
async def live(request: Request) -> Response:
    activity = await read.recent_activity(request.app.state.redis, limit=30)
    shown = [
        {
            "at": when(item.at),
            "lead_id": item.lead_id,
            "label": item.email or item.lead_id,
            "text": f"{item.from_stage or 'new'} → {item.to}"
            + (f" ({item.reason})" if item.reason else ""),
        }
        for item in activity
    ]
    return JSONResponse({"activity": shown, "at": datetime.now(UTC).isoformat()})
