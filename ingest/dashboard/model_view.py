"""The dashboard's Model page: every configured model (`predict.models`), each with its
versions (the promoted one, live, and the one in shadow), AUCs and reliability plot.

A model's figures are the trainer's backtest of its newest version (trained on the earlier
half of its outcomes, tested on the later half), beside the rules score on the same
outcomes, as `leadpulse model report --model NAME` prints them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ingest.dashboard.layout import esc, page
from scorer.read import store

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


def _versions(data: dict[str, Any]) -> str:
    live, shadow = data["live"], data["shadow"]
    if live is None:
        return "No model yet: p_convert appears once CRM outcomes have trained one."
    text = f"Live version <b>{esc(live)}</b> (promoted: alerts and leads show it)"
    if shadow is not None:
        text += f", version <b>{esc(shadow)}</b> in shadow (computed, not shown)"
    return text


def _tested(data: dict[str, Any]) -> str:
    """Which version the backtest is of, and whether that one is live or in shadow."""
    version = data["backtest"].get("version")
    if version is None:
        return "the newest version"
    role = {data["live"]: "live", data["shadow"]: "in shadow"}.get(
        version, "neither live nor shadow"
    )
    return f'version <b class="tested">{esc(version)}</b> ({role})'


def _section(data: dict[str, Any]) -> str:
    name, result = data["model"], data["backtest"]
    head = f'<h2>Model <code>{esc(name)}</code></h2><p class="muted">{_versions(data)}</p>'
    card = f'<div class="card model" id="model-{esc(name)}">'
    if result is None:
        return f'{card}{head}<p class="muted">No backtest yet.</p></div>'
    p, rules = result["p_convert"], result["rules_score"]
    rows = "".join(
        f'<tr><td>{label}</td><td class="num">{_figure(p[key])}</td>'
        f'<td class="num">{_figure(rules[key])}</td></tr>'
        for label, key in (
            ("AUC", "auc"),
            ("log-loss", "log_loss"),
            ("Brier", "brier"),
            ("ECE (10 bins)", "ece"),
        )
    )
    table = (
        f"<h3>Backtest of {_tested(data)}</h3>"
        f'<p class="muted">Trained on {result["trained_on"]:,} outcomes ({esc(result["kind"])}), '
        f"tested on the {p['n']:,} after them ({p['positives']:,} won).</p>"
        f'<table class="model-figures"><tr><th></th><th class="num">p_convert</th>'
        f'<th class="num">rules score</th></tr>{rows}</table>'
    )
    plot = (
        '<h3>Reliability</h3><p class="muted">Green: p_convert; grey: the rules score '
        "(Platt-mapped). On the dashed diagonal is calibrated.</p>"
        f"{reliability_svg(p['bins'], rules['bins'])}"
    )
    return f"{card}{head}{table}{plot}</div>"


def _body(models: list[dict[str, Any]]) -> str:
    names = ", ".join(f"<code>{esc(m['model'])}</code>" for m in models)
    head = (
        '<div class="card"><h1>Model</h1>'
        f'<p class="muted">{len(models)} configured (<code>predict.models</code>): {names}. '
        "A lead takes the first that applies to it.</p></div>"
    )
    return head + "".join(_section(m) for m in models)


@router.get("/model", response_class=HTMLResponse)
async def model_view(request: Request) -> Response:
    names = request.app.state.config.predict.names
    data = await store.get_model(request.app.state.redis, names)
    return HTMLResponse(page("Model", _body(data), active="model"))
