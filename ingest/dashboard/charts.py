"""Charts as inline SVG, drawn on the server: no JavaScript library, no CDN. Pure functions."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape
from typing import Any

from leadpulse.kernel.domain import Stage

__all__ = ["bottleneck", "funnel_svg", "line_svg"]

# The Model's main flow, top to bottom; the side stages (recycle, dead_end) sit beside it.
MAIN = tuple(stage for stage in Stage if stage.phase != "side")
LABELS = {stage.value: stage.label for stage in Stage}
BOX_W, BOX_H, GAP = 250, 50, 26
SIDE_X = 430


def _n(value: float) -> str:
    return f"{value:,.0f}"


def _pct(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate * 100:.1f}%"


def bottleneck(stages: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The main stage where leads pile up: the largest balance relative to its flow."""
    best, best_ratio = None, 0.0
    for stage in MAIN[1:-1]:
        row = stages.get(stage, {})
        balance, flow = float(row.get("balance", 0)), float(row.get("flow", 0))
        ratio = balance / max(flow, 1.0)
        if balance > 0 and ratio > best_ratio:
            best, best_ratio = stage, ratio
    return best


def _box(x: int, y: int, stage: str, row: Mapping[str, Any], hot: bool) -> str:
    fill = "#fde2e1" if hot else ("#eef2f7" if stage in MAIN else "#f4efe6")
    stroke = "#d64545" if hot else "#8b98ab"
    flow, balance = _n(float(row.get("flow", 0))), _n(float(row.get("balance", 0)))
    title = escape(LABELS.get(stage, stage))
    tag = ' <tspan fill="#d64545" font-weight="700">bottleneck</tspan>' if hot else ""
    return (
        f'<g class="stage" data-stage="{stage}" data-flow="{row.get("flow", 0)}" '
        f'data-balance="{row.get("balance", 0)}">'
        f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="{fill}" '
        f'stroke="{stroke}" stroke-width="{2 if hot else 1}"/>'
        f'<text x="{x + 12}" y="{y + 20}" font-weight="600">{title}{tag}</text>'
        f'<text x="{x + 12}" y="{y + 39}" font-size="13" fill="#3d4a5c">flow {flow} · '
        f"balance {balance}</text></g>"
    )


def funnel_svg(
    stages: Sequence[Mapping[str, Any]], conversions: Sequence[Mapping[str, Any]]
) -> str:
    """The funnel as The Model draws it: flow and balance per stage, CVR on the arrows,
    the recycle loop back to nurturing and the dead end beside the main flow."""
    by_stage = {str(row["stage"]): row for row in stages}
    rates = {(str(c["from"]), str(c["to"])): c.get("rate") for c in conversions}
    hot = bottleneck(by_stage)
    y_of = {stage: 10 + i * (BOX_H + GAP) for i, stage in enumerate(MAIN)}
    parts = [
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#5c677d"/>'
        "</marker></defs>"
    ]
    x = 20
    for upper, lower in itertools.pairwise(MAIN):
        y1, y2 = y_of[upper] + BOX_H, y_of[lower]
        parts.append(
            f'<line x1="{x + 60}" y1="{y1}" x2="{x + 60}" y2="{y2 - 2}" stroke="#5c677d" '
            'marker-end="url(#arrow)"/>'
            f'<text x="{x + 70}" y="{(y1 + y2) / 2 + 5}" font-size="12" fill="#0b6e4f" '
            f'class="cvr" data-from="{upper}" data-to="{lower}">{_pct(rates.get((upper, lower)))}'
            "</text>"
        )
    parts += [_box(x, y_of[s], s, by_stage.get(s, {}), s == hot) for s in MAIN]
    recycle, dead_end = Stage.RECYCLE, Stage.DEAD_END
    y_recycle = y_of[Stage.SAL]
    y_dead = y_of[Stage.SQL] + BOX_H + GAP
    parts.append(_box(SIDE_X, y_recycle, recycle, by_stage.get(recycle, {}), False))
    parts.append(_box(SIDE_X, y_dead, dead_end, by_stage.get(dead_end, {}), False))
    y_opp = y_of[Stage.OPPORTUNITY] + 25
    # Into recycle from the sales stages, and the loop back to nurturing.
    parts.append(
        f'<path d="M{x + BOX_W},{y_opp} C{SIDE_X - 60},{y_opp}'
        f' {SIDE_X - 60},{y_recycle + 25} {SIDE_X},{y_recycle + 25}" fill="none" stroke="#b7791f" '
        'stroke-dasharray="4 3" marker-end="url(#arrow)"/>'
        f'<text x="{SIDE_X - 95}" y="{y_recycle + 70}" font-size="12" fill="#b7791f">lost / not now'
        "</text>"
    )
    y_back = y_of[Stage.NURTURING] + 25
    parts.append(
        f'<path d="M{SIDE_X + BOX_W / 2},{y_recycle} C{SIDE_X + BOX_W / 2},{y_back}'
        f' {SIDE_X - 40},{y_back} {x + BOX_W},{y_back}" '
        'fill="none" stroke="#b7791f" marker-end="url(#arrow)"/>'
        f'<text x="{SIDE_X + BOX_W / 2 + 8}" y="{y_of[Stage.MQL] + 20}" font-size="12" '
        'fill="#b7791f" '
        f'class="cvr" data-from="{recycle}" data-to="{Stage.NURTURING}">recycled '
        f"{_pct(rates.get((recycle, Stage.NURTURING)))}</text>"
    )
    parts.append(
        f'<path d="M{x + BOX_W},{y_of[Stage.LEAD] + 25} C{SIDE_X + 300},{y_of[Stage.LEAD] + 25} '
        f'{SIDE_X + 300},{y_dead + 25} {SIDE_X + BOX_W},{y_dead + 25}" fill="none" '
        'stroke="#8b98ab" stroke-dasharray="2 3" marker-end="url(#arrow)"/>'
        f'<text x="{SIDE_X + BOX_W + 10}" y="{y_dead - 8}" font-size="12" fill="#5c677d" '
        f'class="cvr" data-from="{Stage.LEAD}" data-to="{dead_end}">'
        f"{_pct(rates.get((Stage.LEAD, dead_end)))}</text>"
    )
    height = y_of[Stage.CUSTOMER] + BOX_H + 20
    return (
        f'<svg class="funnel" viewBox="0 0 760 {height}" width="100%" role="img" '
        f'aria-label="Lead funnel" font-family="system-ui,sans-serif" font-size="14">'
        + "".join(parts)
        + "</svg>"
    )


def line_svg(
    points: Sequence[tuple[datetime, float]],
    *,
    width: int = 640,
    height: int = 180,
    threshold: float | None = None,
) -> str:
    """A line plot of a value over time (a lead's score), with an optional threshold line."""
    if not points:
        return '<p class="muted">No score history yet.</p>'
    pad = 34
    times = [p[0].timestamp() for p in points]
    values = [p[1] for p in points]
    t0, t1 = min(times), max(times)
    high = max([*values, threshold or 0, 1.0])
    low = min([*values, 0.0])

    def sx(t: float) -> float:
        return pad + (t - t0) / max(t1 - t0, 1.0) * (width - 2 * pad)

    def sy(v: float) -> float:
        return height - pad - (v - low) / max(high - low, 1.0) * (height - 2 * pad)

    path = " ".join(
        f"{'M' if i == 0 else 'L'}{sx(t):.1f},{sy(v):.1f}"
        for i, (t, v) in enumerate(zip(times, values, strict=True))
    )
    parts = [
        f'<line x1="{pad}" y1="{sy(0):.1f}" x2="{width - pad}" y2="{sy(0):.1f}" stroke="#c9d1dd"/>',
        f'<path d="{path}" fill="none" stroke="#0b6e4f" stroke-width="2"/>',
        f'<text x="4" y="{sy(high):.1f}" font-size="11" fill="#5c677d">{high:.0f}</text>',
        f'<text x="{pad}" y="{height - 8}" font-size="11" fill="#5c677d">'
        f"{points[0][0]:%b %d}</text>",
        f'<text x="{width - pad}" y="{height - 8}" font-size="11" fill="#5c677d" '
        f'text-anchor="end">{points[-1][0]:%b %d}</text>',
    ]
    if threshold is not None:
        parts.append(
            f'<line x1="{pad}" y1="{sy(threshold):.1f}" x2="{width - pad}" y2="{sy(threshold):.1f}"'
            ' stroke="#d64545" stroke-dasharray="5 4"/>'
            f'<text x="{width - pad}" y="{sy(threshold) - 4:.1f}" font-size="11" fill="#d64545" '
            f'text-anchor="end">MQL threshold {threshold:.0f}</text>'
        )
    return (
        f'<svg class="score-plot" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="Score over time" font-family="system-ui,sans-serif">{"".join(parts)}</svg>'
    )
