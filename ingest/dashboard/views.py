"""The dashboard's funnel page: flow, balance, conversion rates and new leads per period.

It reads through `scorer.read.store` (read-only) and renders HTML with inline SVG on the
server; the numbers are the same ones `GET /v1/funnel` answers.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ingest.dashboard.charts import MAIN, bottleneck, funnel_svg
from ingest.dashboard.layout import esc, page
from ingest.dashboard.periods import Grain, buckets, parse_period
from leadpulse.kernel.domain import Stage
from scorer.read import store

__all__ = ["router"]

router = APIRouter()


def _rows(funnel: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(row["stage"]): row for row in funnel.get("stages", [])}


@router.get("/", response_class=HTMLResponse)
async def funnel_view(request: Request) -> Response:
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
