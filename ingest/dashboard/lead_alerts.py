"""The lead page's alerts table: every alert about the lead and what became of it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ingest.dashboard.layout import esc
from leadpulse.kernel.domain import AlertType

__all__ = ["alerts_table", "kind_cell"]

# Scoped to this table; the colors follow the stage pills.
_STYLE = (
    "<style>.alert-state{display:inline-block;padding:1px 8px;border-radius:10px;"
    "font-size:12px;font-weight:600;background:#eee;color:#666}"
    ".alert-state.delivered{background:#dcfce7;color:#166534}"
    ".alert-state.pending{background:#fff3d6;color:#9a6700}"
    ".alert-state.dead_lettered{background:#fde2e1;color:#b42318}</style>"
)


_KINDS = {kind.value: kind for kind in AlertType}


def kind_cell(kind: Any) -> str:
    """An alert kind's table cell: its value, and when it is raised on hover."""
    known = _KINDS.get(str(kind))
    hint = f' title="{esc(known.summary)}"' if known else ""
    return f"<td{hint}>{esc(kind)}</td>"


def _state(state: Any) -> str:
    return f'<span class="alert-state {esc(state)}">{esc(str(state).replace("_", " "))}</span>'


def _destinations(alert: dict[str, Any]) -> str:
    rows = alert.get("destinations") or []
    if len(rows) < 2:
        return ""
    return "<br>".join(f"{esc(d.get('destination'))}: {_state(d.get('state'))}" for d in rows)


def alerts_table(alerts: list[dict[str, Any]], when: Callable[[Any], str]) -> str:
    """Type, time, state (per destination when there are several) and id of each alert."""
    rows = "".join(
        f"<tr>{kind_cell(a.get('type'))}<td>{when(a.get('at'))}</td>"
        f"<td>{_state(a.get('state', 'pending'))}</td><td>{_destinations(a)}</td>"
        f"<td><code>{esc(a.get('alert_id'))}</code></td></tr>"
        for a in alerts
    )
    return (
        f'{_STYLE}<table id="alerts"><tr><th>type</th><th>when</th><th>state</th>'
        f"<th>destinations</th><th>alert id</th></tr>{rows}</table>"
    )
