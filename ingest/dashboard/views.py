"""Dashboard pages for marketing and sales: funnel, leads, a lead, an account, live feed.

Every page reads through `scorer.store` (read-only) and renders HTML with inline SVG on the
server; the numbers are the same ones `GET /v1/funnel` and `GET /v1/leads` answer.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from ingest.dashboard.charts import MAIN, bottleneck, funnel_svg, line_svg
from ingest.dashboard.crm_panels import crm_connectors, lead_crm_table
from ingest.dashboard.layout import esc, login_page, page
from ingest.dashboard.lead_alerts import alerts_table
from ingest.dashboard.periods import Grain, buckets, parse_period
from ingest.dashboard.session import COOKIE, SESSION_HOURS, check_key, is_logged_in, new_session
from leadpulse.kernel.domain import Stage
from scorer import store
from scorer.crm_reads import lead_crm_records

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
STAGES = tuple(Stage)
PAGE_SIZE = 50
# Labels for the store's sort orders (store.SORTS says which exist).
SORT_LABELS = {
    "score": "highest score",
    "recent": "latest stage change",
    "last_seen": "last seen",
    "created": "newest",
}


def _login_redirect() -> RedirectResponse:
    return RedirectResponse("/dashboard/login", status_code=303)


@router.get("/dashboard/login", response_class=HTMLResponse)
async def login_form() -> HTMLResponse:
    return HTMLResponse(login_page())


@router.post("/dashboard/login")
async def login(request: Request) -> Response:
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    offered = (form.get("key") or [""])[0]
    if not offered or not check_key(request, offered):
        return HTMLResponse(login_page("That key is not the secret key."), status_code=401)
    response = RedirectResponse("/dashboard", status_code=303)
    response.set_cookie(
        COOKIE,
        new_session(request),
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        secure=True,
        samesite="strict",
        path="/",
    )
    return response


@router.post("/dashboard/logout")
async def logout() -> Response:
    response = _login_redirect()
    response.delete_cookie(COOKIE, path="/")
    return response


def _rows(funnel: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(row["stage"]): row for row in funnel.get("stages", [])}


@router.get("/dashboard", response_class=HTMLResponse)
async def funnel_view(request: Request) -> Response:
    if not is_logged_in(request):
        return _login_redirect()
    query = request.query_params
    start, end, grain, problem = parse_period(
        query.get("from"), query.get("to"), query.get("grain")
    )
    by = query.get("by") if query.get("by") in ("channel", "campaign") else None
    redis = request.app.state.redis
    funnel = await store.get_funnel(redis, start=start, end=end, by=by, period=grain)
    rows = _rows(funnel)
    hot = bottleneck(rows)
    kpis = "".join(
        f'<div class="kpi"><span class="muted">{label}</span><b data-kpi="{stage}">'
        f"{int(rows.get(stage, {}).get('flow', 0)):,}</b></div>"
        for stage, label in (
            (Stage.LEAD, "New leads"),
            (Stage.MQL, "New MQLs"),
            (Stage.OPPORTUNITY, "New opportunities"),
            (Stage.CUSTOMER, "New customers"),
        )
    )
    conversions = "".join(
        f"<tr><td>{esc(c['from'])} → {esc(c['to'])}</td>"
        f'<td class="num">{_rate(c.get("rate"))}</td></tr>'
        for c in funnel.get("conversions", [])
    )
    over_time = _flow_over_time(funnel, start, end, grain)
    breakdown = _breakdown_table(funnel, by) if by else ""
    warn = f'<p class="error">{esc(problem)}</p>' if problem else ""
    hot_note = (
        (
            f"<p>Leads pile up in <b>{esc(hot)}</b>: its balance is the largest against its "
            "flow. That is where to look first.</p>"
        )
        if hot
        else ""
    )
    body = f"""
<div class="card"><h1>Funnel</h1><p class="muted">{start:%b %d, %Y} to {end:%b %d, %Y}: flow is
how many entered a stage in the period, balance how many are in it now.</p>{warn}
{_period_form(start, end, grain, by)}</div>
<div class="kpis">{kpis}</div>
<div class="card">{funnel_svg(funnel.get("stages", []), funnel.get("conversions", []))}{hot_note}
</div>
<div class="two"><div class="card"><h2>Conversion rates</h2><table id="conversions">
<tr><th>from → to</th><th class="num">rate</th></tr>{conversions}</table></div>
<div class="card"><h2>New leads per {grain}</h2>{over_time}</div></div>{breakdown}"""
    return HTMLResponse(page("Funnel", body, active="funnel"))


def _period_key(day: date, grain: Grain) -> str:
    """The report's name for the period holding `day`: 2026-11-23, 2026-W48 or 2026-11."""
    if grain == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return day.isoformat()[:7] if grain == "month" else day.isoformat()


def _rate(rate: Any) -> str:
    return "n/a" if rate is None else f"{float(rate) * 100:.1f}%"


def _period_form(start: date, end: date, grain: Grain, by: str | None) -> str:
    def option(value: str, label: str, current: str | None) -> str:
        selected = " selected" if value == (current or "") else ""
        return f'<option value="{value}"{selected}>{label}</option>'

    grains = "".join(option(g, g, grain) for g in ("day", "week", "month"))
    bys = "".join(
        option(v, label, by)
        for v, label in (
            ("", "no breakdown"),
            ("channel", "by channel"),
            ("campaign", "by campaign"),
        )
    )
    return f"""<form class="filters" method="get" action="/dashboard">
<label>from <input type="date" name="from" value="{start.isoformat()}"></label>
<label>to <input type="date" name="to" value="{end.isoformat()}"></label>
<label>period <select name="grain">{grains}</select></label>
<label>breakdown <select name="by">{bys}</select></label>
<button class="primary" type="submit">Show</button></form>"""


def _flow_over_time(funnel: dict[str, Any], start: date, end: date, grain: Grain) -> str:
    """Bars of new leads per bucket, from the report's per-period series (no extra reads)."""
    per_period = {
        entry["period"]: int(_rows(entry).get("lead", {}).get("flow", 0))
        for entry in funnel.get("series", [])
    }
    counts = [
        (low, per_period.get(_period_key(low, grain), 0)) for low, _ in buckets(start, end, grain)
    ]
    top = max([c for _, c in counts] + [1])
    every = max(len(counts) // 6, 1)
    bars = "".join(
        f'<div style="height:{c / top * 100:.0f}%" title="{low.isoformat()}: {c}">'
        + (f"<span>{low:%b %d}</span>" if i % every == 0 else "")
        + "</div>"
        for i, (low, c) in enumerate(counts)
    )
    return f'<div class="bars">{bars}</div><p></p>'


def _breakdown_table(funnel: dict[str, Any], by: str) -> str:
    head = "".join(f'<th class="num">{s}</th>' for s in MAIN[1:])
    body = ""
    for entry in funnel.get("breakdown", []):
        flows = {str(r["stage"]): int(r.get("flow", 0)) for r in entry.get("stages", [])}
        cells = "".join(f'<td class="num">{flows.get(s, 0):,}</td>' for s in MAIN[1:])
        body += f"<tr><td>{esc(entry.get('key') or '(none)')}</td>{cells}</tr>"
    return (
        f'<div class="card"><h2>Flow by {esc(by)}</h2><p class="muted">Which {esc(by)} moved '
        f'leads into each stage.</p><table id="breakdown"><tr><th>{esc(by)}</th>{head}</tr>'
        f"{body}</table></div>"
    )


@router.get("/dashboard/leads", response_class=HTMLResponse)
async def leads_view(request: Request) -> Response:
    if not is_logged_in(request):
        return _login_redirect()
    q = request.query_params
    stage = q.get("stage") if q.get("stage") in STAGES else None
    consideration = (
        q.get("consideration") if q.get("consideration") in ("early", "mid", "late") else None
    )
    account = q.get("account") or None
    sort = q.get("sort") or "score"
    if sort not in store.SORTS:
        sort = "score"
    min_score = _float(q.get("min_score"))
    offset = max(int(_float(q.get("offset")) or 0), 0)
    result = await store.list_leads(
        request.app.state.redis,
        stage=stage,
        min_score=min_score,
        account=account,
        consideration=consideration,
        sort=sort,
        offset=offset,
        limit=PAGE_SIZE,
    )
    rows = "".join(
        f'<tr><td><a href="/dashboard/leads/{esc(lead["lead_id"])}">'
        f"{esc(lead.get('email') or lead['lead_id'])}</a></td>"
        f"<td>{_pill(lead.get('stage'))}</td>"
        f'<td class="num">{float(lead.get("score", 0)):.1f}</td>'
        f"<td>{_account_link(lead.get('account'))}</td><td>{esc(lead.get('consideration') or '')}"
        f"</td><td>{esc(', '.join(lead.get('interests') or []))}</td></tr>"
        for lead in result.get("leads", [])
    )
    total = int(result.get("total", 0))
    filters = {
        k: v
        for k, v in (
            ("stage", stage),
            ("min_score", q.get("min_score")),
            ("account", account),
            ("consideration", consideration),
            ("sort", sort),
        )
        if v
    }
    pager = _pager(filters, offset, total)
    stage_opts = "".join(
        f'<option value="{s}"{" selected" if s == stage else ""}>{s}</option>'
        for s in ("", *STAGES)
    )
    cons_opts = "".join(
        f'<option value="{c}"{" selected" if c == consideration else ""}>{c or "any"}</option>'
        for c in ("", "early", "mid", "late")
    )
    sort_opts = "".join(
        f'<option value="{key}"{" selected" if key == sort else ""}>{label}</option>'
        for key, label in SORT_LABELS.items()
        if key in store.SORTS
    )
    body = f"""<div class="card"><h1>Leads</h1><p class="muted">{total:,} leads match.</p>
<form class="filters" method="get" action="/dashboard/leads">
<label>stage <select name="stage">{stage_opts}</select></label>
<label>min score <input name="min_score" size="5" value="{esc(q.get("min_score") or "")}"></label>
<label>account <input name="account" value="{esc(account or "")}"></label>
<label>consideration <select name="consideration">{cons_opts}</select></label>
<label>sort <select name="sort">{sort_opts}</select></label>
<button class="primary" type="submit">Filter</button></form></div>
<div class="card"><table id="leads"><tr><th>lead</th><th>stage</th>
<th class="num"><a href="/dashboard/leads?{_with(filters, sort="score")}">score ↓</a></th>
<th>account</th><th>consideration</th><th>interests</th></tr>{rows}</table>{pager}</div>"""
    return HTMLResponse(page("Leads", body, active="leads"))


def _with(filters: dict[str, Any], **changes: Any) -> str:
    return esc(urlencode({**filters, **changes}))


def _pill(stage: Any) -> str:
    return f'<span class="pill {esc(stage)}">{esc(stage)}</span>'


def _float(value: str | None) -> float | None:
    """A finite number from a form field, or None (blank, unreadable, nan or inf)."""
    try:
        number = float(value) if value not in (None, "") else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


def _account_link(account: Any) -> str:
    if not account:
        return ""
    return f'<a href="/dashboard/accounts/{esc(account)}">{esc(account)}</a>'


def _pager(filters: dict[str, Any], offset: int, total: int) -> str:
    links = []
    if offset > 0:
        prev = urlencode({**filters, "offset": max(offset - PAGE_SIZE, 0)})
        links.append(f'<a href="/dashboard/leads?{prev}">← previous</a>')
    if offset + PAGE_SIZE < total:
        nxt = urlencode({**filters, "offset": offset + PAGE_SIZE})
        links.append(f'<a href="/dashboard/leads?{nxt}">next →</a>')
    shown = f"{offset + 1 if total else 0} to {min(offset + PAGE_SIZE, total)} of {total:,}"
    return f'<p class="muted">{shown} {" · ".join(links)}</p>'


def _when(value: Any) -> str:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            pass
    return esc(value)


@router.get("/dashboard/leads/{lead_id}", response_class=HTMLResponse)
async def lead_view(lead_id: str, request: Request) -> Response:
    if not is_logged_in(request):
        return _login_redirect()
    lead = await store.get_lead(request.app.state.redis, lead_id)
    if lead is None:
        body = f'<div class="card"><h1>No such lead</h1><p>{esc(lead_id)} is unknown.</p></div>'
        return HTMLResponse(page("Lead", body, active="leads"), status_code=404)
    score = lead.get("score", {})
    history = [
        (datetime.fromisoformat(p["at"]), float(p["score"]))
        for p in lead.get("score_history", [])
        if "at" in p and "score" in p
    ]
    # The last point is the score now, decayed: the plot ends where the lead stands today.
    history.append((datetime.now(UTC), float(score.get("total", 0))))
    threshold = lead.get("threshold")
    breakdown = "".join(
        f'<tr><td>{esc(b["rule"])}</td><td class="num">{float(b["points"]):+.1f}</td>'
        f"<td>{_when(b.get('at'))}</td></tr>"
        for b in score.get("breakdown", [])
    )
    stages = "".join(
        f"<tr><td>{_pill(s['stage'])}</td><td>{_when(s.get('at'))}</td></tr>"
        for s in lead.get("stage_history", [])
    )
    timeline = "".join(_timeline_row(item) for item in lead.get("timeline", []))
    alerts = alerts_table(lead.get("alerts", []), _when)
    config = request.app.state.config
    crm = lead_crm_table(
        await lead_crm_records(request.app.state.redis, lead["lead_id"]),
        crm_connectors(config),
        config.crm.hubspot.portal_id,
        time.time(),
    )
    paused = lead.get("nurture_paused_until")
    body = f"""<div class="card"><h1>{esc(lead.get("email") or lead["lead_id"])}</h1>
<p><span class="pill {esc(lead.get("stage"))}" id="lead-stage">{esc(lead.get("stage"))}</span>
 score <b id="lead-score">{float(score.get("total", 0)):.1f}</b>
 (engagement {float(score.get("engagement", 0)):.1f}, fit {float(score.get("fit", 0)):.1f})
 · consideration <b>{esc(lead.get("consideration") or "n/a")}</b>
 · account {_account_link(lead.get("account")) or "none"}
 {f"· nurture paused until {_when(paused)}" if paused else ""}</p>
<p class="muted">Interests: {esc(", ".join(lead.get("interests") or []) or "none yet")}</p></div>
<div class="card"><h2>Score over time</h2>{line_svg(history, threshold=threshold)}</div>
<div class="two"><div class="card"><h2>Why this score</h2><table id="breakdown">
<tr><th>rule</th><th class="num">points</th><th>when</th></tr>{breakdown}</table></div>
<div class="card"><h2>Stage history</h2><table id="stages"><tr><th>stage</th><th>since</th></tr>
{stages}</table><h2 style="margin-top:18px">Alerts</h2>{alerts}
<h2 style="margin-top:18px">CRM</h2>{crm}</div></div>
<div class="card"><h2>Timeline</h2><table id="timeline"><tr><th>when</th><th>what</th>
<th>where</th></tr>{timeline}</table></div>"""
    return HTMLResponse(page("Lead", body, active="leads"))


def _timeline_row(item: dict[str, Any]) -> str:
    what = item.get("event") or item.get("type") or ""
    flagged = item.get("flagged")
    flags = f' <span class="pill inactive">not scored: {esc(flagged)}</span>' if flagged else ""
    where = item.get("path") or item.get("url") or ""
    return (
        f"<tr><td>{_when(item.get('at'))}</td><td>{esc(what)}{flags}</td><td>{esc(where)}</td></tr>"
    )


@router.get("/dashboard/accounts/{account_id}", response_class=HTMLResponse)
async def account_view(account_id: str, request: Request) -> Response:
    if not is_logged_in(request):
        return _login_redirect()
    account = await store.get_account(request.app.state.redis, account_id)
    if account is None:
        body = f'<div class="card"><h1>No such account</h1><p>{esc(account_id)}</p></div>'
        return HTMLResponse(page("Account", body, active="leads"), status_code=404)
    people = "".join(
        f'<tr><td><a href="/dashboard/leads/{esc(p["lead_id"])}">'
        f"{esc(p.get('email') or p['lead_id'])}</a></td><td>{_pill(p.get('stage'))}</td>"
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


@router.get("/dashboard/live.json")
async def live(request: Request) -> Response:
    if not is_logged_in(request):
        return JSONResponse(
            {"error": {"code": "unauthorized", "message": "log in first"}}, status_code=401
        )
    activity = await store.recent_activity(request.app.state.redis, limit=30)
    shown = [
        {
            "at": _when(item.get("at")),
            "lead_id": item.get("lead_id"),
            "label": item.get("email") or item.get("lead_id"),
            "text": f"{item.get('from') or 'new'} → {item.get('to')}"
            + (f" ({item['reason']})" if item.get("reason") else ""),
        }
        for item in activity
    ]
    return JSONResponse({"activity": shown, "at": datetime.now(UTC).isoformat()})
