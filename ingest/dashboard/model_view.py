"""The dashboard's Model page: the predictive score's versions, AUCs and reliability plot.

The figures are the trainer's backtest of its newest version (trained on the earlier
half of the outcomes, tested on the later half), beside the rules score on the same
outcomes, as `leadpulse model report` prints them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ingest.dashboard.layout import esc, page
from scorer import store

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_SIZE = 260  # the plot's square, in px
_PAD = 30


def _figure(value: Any) -> str:
    return "-" if value is None else f"{float(value):.3f}"


def _xy(p: float, observed: float) -> tuple[float, float]:
    return _PAD + p * _SIZE, _PAD + (1 - observed) * _SIZE


def _points(bins: list[dict[str, Any]], css: str, label: str) -> str:
    total = sum(b["count"] for b in bins) or 1
    out = []
    for b in bins:
        x, y = _xy(b["predicted"], b["observed"])
        r = 3 + 9 * (b["count"] / total) ** 0.5
        title = (
            f"{label}: predicted {b['predicted']:.2f}, observed {b['observed']:.2f}, n={b['count']}"
        )
        out.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" class="{css}">'
            f"<title>{esc(title)}</title></circle>"
        )
    return "".join(out)


def reliability_svg(p_bins: list[dict[str, Any]], rules_bins: list[dict[str, Any]]) -> str:
    """Predicted against observed: on the diagonal is calibrated."""
    end = _PAD + _SIZE
    ticks = "".join(
        f'<text x="{_PAD + t * _SIZE:.0f}" y="{end + 16}" text-anchor="middle">{t:.1f}</text>'
        f'<text x="{_PAD - 6}" y="{_PAD + (1 - t) * _SIZE + 4:.0f}" '
        f'text-anchor="end">{t:.1f}</text>'
        for t in (0.0, 0.5, 1.0)
    )
    return (
        f'<svg viewBox="0 0 {end + 10} {end + 34}" width="{end + 10}" role="img" '
        'aria-label="Reliability plot" style="font-size:11px;fill:#5c677d">'
        "<style>.pc{fill:#0b6e4f;opacity:.8}.rs{fill:#9aa5b8;opacity:.8}</style>"
        f'<rect x="{_PAD}" y="{_PAD}" width="{_SIZE}" height="{_SIZE}" fill="none" '
        'stroke="#e3e8ef"/>'
        f'<line x1="{_PAD}" y1="{end}" x2="{end}" y2="{_PAD}" stroke="#c9d1dd" '
        'stroke-dasharray="4 3"/>'
        f"{ticks}{_points(rules_bins, 'rs', 'rules score')}{_points(p_bins, 'pc', 'p_convert')}"
        f'<text x="{_PAD + _SIZE / 2}" y="{end + 30}" text-anchor="middle">predicted</text>'
        "</svg>"
    )


def _body(data: dict[str, Any]) -> str:
    live, shadow, result = data["live"], data["shadow"], data["backtest"]
    versions = (
        f"Live version <b>{esc(live)}</b>"
        + (f", version <b>{esc(shadow)}</b> in shadow" if shadow is not None else "")
        if live is not None
        else "No model yet: p_convert appears once CRM outcomes have trained one."
    )
    head = f'<div class="card"><h1>Model</h1><p class="muted">{versions}</p></div>'
    if result is None:
        return head + '<div class="card"><p class="muted">No backtest yet.</p></div>'
    p, rules = result["p_convert"], result["rules_score"]
    rows = "".join(
        f'<tr><td>{name}</td><td class="num">{_figure(p[key])}</td>'
        f'<td class="num">{_figure(rules[key])}</td></tr>'
        for name, key in (
            ("AUC", "auc"),
            ("log-loss", "log_loss"),
            ("Brier", "brier"),
            ("ECE (10 bins)", "ece"),
        )
    )
    table = (
        '<div class="card"><h2>Backtest</h2>'
        f'<p class="muted">Trained on {result["trained_on"]:,} outcomes ({esc(result["kind"])}), '
        f"tested on the {p['n']:,} after them ({p['positives']:,} won).</p>"
        '<table id="model-figures"><tr><th></th><th class="num">p_convert</th>'
        f'<th class="num">rules score</th></tr>{rows}</table></div>'
    )
    plot = (
        '<div class="card"><h2>Reliability</h2><p class="muted">Green: p_convert; grey: the '
        "rules score (Platt-mapped). On the dashed diagonal is calibrated.</p>"
        f"{reliability_svg(p['bins'], rules['bins'])}</div>"
    )
    return head + table + plot


@router.get("/model", response_class=HTMLResponse)
async def model_view(request: Request) -> Response:
    data = await store.get_model(request.app.state.redis)
    return HTMLResponse(page("Model", _body(data), active="model"))
