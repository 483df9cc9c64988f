"""The dashboard's leads: the filtered list and one lead's page, from `scorer.read.facade`'s
typed models (the numbers `GET /v1/leads` answers), with its CRM records from `router.read`."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ingest.dashboard.charts import line_svg
from ingest.dashboard.crm_panels import crm_connectors, lead_crm_table
from ingest.dashboard.layout import esc, page, when
from ingest.dashboard.lead_alerts import alerts_table
from leadpulse.kernel.domain import Stage
from router import read as router_read
from scorer.read import facade as read
from scorer.read.facade import LeadView, TimelineEntry

__all__ = ["account_link", "pill", "router"]

router = APIRouter()
STAGES = tuple(Stage)
PAGE_SIZE = 50
# Labels for the store's sort orders (read.SORTS says which exist).
SORT_LABELS = {
    "score": "highest score",
    "recent": "latest stage change",
    "last_seen": "last seen",
    "created": "newest",
}


@router.get("/leads", response_class=HTMLResponse)
async def leads_view(request: Request) -> Response:
    q = request.query_params
    stage = q.get("stage") if q.get("stage") in STAGES else None
    consideration = (
        q.get("consideration") if q.get("consideration") in ("early", "mid", "late") else None
    )
    account = q.get("account") or None
    sort = q.get("sort") or "score"
    if sort not in read.SORTS:
        sort = "score"
    offset = max(int(_float(q.get("offset")) or 0), 0)
    result = await read.lead_page(
        request.app.state.redis,
        stage=stage,
        min_score=_float(q.get("min_score")),
        account=account,
        consideration=consideration,
        sort=sort,
        offset=offset,
        limit=PAGE_SIZE,
    )
    rows = "".join(
        f'<tr><td><a href="/dashboard/leads/{esc(lead.lead_id)}">'
        f"{esc(lead.email or lead.lead_id)}</a></td>"
        f"<td>{pill(lead.stage)}</td>"
        f'<td class="num">{lead.score:.1f}</td>'
        f"<td>{account_link(lead.account)}</td><td>{esc(lead.consideration or '')}"
        f"</td><td>{esc(', '.join(lead.interests))}</td></tr>"
        for lead in result.leads
    )
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
    pager = _pager(filters, offset, result.total)
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
        if key in read.SORTS
    )
    body = f"""<div class="card"><h1>Leads</h1><p class="muted">{result.total:,} leads match.</p>
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


def pill(stage: Any) -> str:
    return f'<span class="pill {esc(stage)}">{esc(stage)}</span>'


def _float(value: str | None) -> float | None:
    """A finite number from a form field, or None (blank, unreadable, nan or inf)."""
    try:
        number = float(value) if value not in (None, "") else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


def account_link(account: Any) -> str:
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


@router.get("/leads/{lead_id}", response_class=HTMLResponse)
async def lead_view(lead_id: str, request: Request) -> Response:
    lead = await read.lead_view(request.app.state.redis, lead_id)
    if lead is None:
        body = f'<div class="card"><h1>No such lead</h1><p>{esc(lead_id)} is unknown.</p></div>'
        return HTMLResponse(page("Lead", body, active="leads"), status_code=404)
    config = request.app.state.config
    crm = lead_crm_table(
        await router_read.lead_crm_records(request.app.state.redis, lead.lead_id),
        crm_connectors(config),
        config.crm.hubspot.portal_id,
        time.time(),
    )
    return HTMLResponse(page("Lead", _lead_body(lead, crm), active="leads"))


def _lead_body(lead: LeadView, crm: str) -> str:
    score = lead.score
    # The last point is the score now, decayed: the plot ends where the lead stands today.
    history = [(p.at, p.score) for p in lead.score_history] + [(datetime.now(UTC), score.total)]
    breakdown = "".join(
        f'<tr><td>{esc(b.rule)}</td><td class="num">{b.points:+.1f}</td><td>{when(b.at)}</td></tr>'
        for b in score.breakdown
    )
    stages = "".join(
        f"<tr><td>{pill(s.stage)}</td><td>{when(s.at)}</td></tr>" for s in lead.stage_history
    )
    timeline = "".join(_timeline_row(item) for item in lead.timeline)
    paused = lead.nurture_paused_until
    return f"""<div class="card"><h1>{esc(lead.email or lead.lead_id)}</h1>
<p><span class="pill {esc(lead.stage)}" id="lead-stage">{esc(lead.stage)}</span>
 score <b id="lead-score">{score.total:.1f}</b>
 (engagement {score.engagement:.1f}, fit {score.fit:.1f})
 · consideration <b>{esc(lead.consideration or "n/a")}</b>
 · account {account_link(lead.account) or "none"}
 {f"· nurture paused until {when(paused)}" if paused else ""}</p>
<p class="muted">Interests: {esc(", ".join(lead.interests) or "none yet")}</p></div>
<div class="card"><h2>Score over time</h2>{line_svg(history, threshold=lead.threshold)}</div>
<div class="two"><div class="card"><h2>Why this score</h2><table id="breakdown">
<tr><th>rule</th><th class="num">points</th><th>when</th></tr>{breakdown}</table></div>
<div class="card"><h2>Stage history</h2><table id="stages"><tr><th>stage</th><th>since</th></tr>
{stages}</table><h2 style="margin-top:18px">Alerts</h2>{alerts_table(lead.alerts)}
<h2 style="margin-top:18px">CRM</h2>{crm}</div></div>
<div class="card"><h2>Timeline</h2><table id="timeline"><tr><th>when</th><th>what</th>
<th>where</th></tr>{timeline}</table></div>"""


def _timeline_row(item: TimelineEntry) -> str:
    what = item.event or item.type or ""
    flags = (
        f' <span class="pill inactive">not scored: {esc(item.flagged)}</span>'
        if item.flagged
        else ""
    )
    where = item.path or item.url or ""
    return f"<tr><td>{when(item.at)}</td><td>{esc(what)}{flags}</td><td>{esc(where)}</td></tr>"
