"""The lead page's alerts table: every alert about the lead and what became of it."""

from __future__ import annotations

from typing import Any

from ingest.dashboard.layout import esc, when
from leadpulse.kernel.domain import AlertType
from scorer.read.facade import LeadAlert

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


def _destinations(alert: LeadAlert) -> str:
    if len(alert.destinations) < 2:
        return ""
    return "<br>".join(f"{esc(d.destination)}: {_state(d.state)}" for d in alert.destinations)


def alerts_table(alerts: tuple[LeadAlert, ...]) -> str:
    """Type, time, state (per destination when there are several) and id of each alert."""
    rows = "".join(
        f"<tr>{kind_cell(a.type)}<td>{when(a.at)}</td>"
        f"<td>{_state(a.state)}</td><td>{_destinations(a)}</td>"
        f"<td><code>{esc(a.alert_id)}</code></td></tr>"
        for a in alerts
    )
    return (
        f'{_STYLE}<table id="alerts"><tr><th>type</th><th>when</th><th>state</th>'
        f"<th>destinations</th><th>alert id</th></tr>{rows}</table>"
    )
