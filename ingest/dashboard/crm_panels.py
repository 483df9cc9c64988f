"""The dashboard's CRM panels: each connector's health on the alerts page, and a lead's record
in each CRM on the lead page (from `router.read`)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

from ingest.dashboard.layout import esc
from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.crm_log import ConnectorHealth, CrmRecord

__all__ = ["ago", "connectors_panel", "crm_connectors", "lead_crm_table"]

_HUBSPOT_CONTACT = "https://app.hubspot.com/contacts/{portal}/record/0-1/{id}"


def crm_connectors(config: LeadPulseConfig) -> dict[str, str]:
    """Configured CRM destinations: name -> type (hubspot or salesforce)."""
    return {
        d.name: d.type for d in config.routing.destinations if d.type in ("hubspot", "salesforce")
    }


def ago(at: float | None, now: float) -> str:
    """`at` relative to `now`: "never", "just now", "4 min ago", "3 h ago", "2 d ago"."""
    if at is None:
        return "never"
    seconds = max(0.0, now - at)
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86_400:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86_400)} d ago"


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _since(at: float | None, now: float) -> str:
    if at is None:
        return "never"
    return f'<time datetime="{esc(_iso(at))}" title="{esc(_iso(at))}">{esc(ago(at, now))}</time>'


def _rate(health: ConnectorHealth) -> str:
    rate = health.error_rate
    return "n/a" if rate is None else f"{rate * 100:.1f}%"


def connectors_panel(rows: list[ConnectorHealth], kinds: dict[str, str], now: float) -> str:
    """One row per configured CRM connector; empty when none is configured."""
    if not rows:
        return ""
    body = "".join(
        f'<tr data-connector="{esc(h.connector)}"><td>{esc(h.connector)}</td>'
        f"<td>{esc(kinds.get(h.connector, ''))}</td><td>{_since(h.last_success, now)}</td>"
        f'<td class="num">{h.written:,}</td>'
        f'<td class="num" title="{h.failed:,} of {h.requests:,} requests">{_rate(h)}</td>'
        f'<td class="num">{h.rate_limit_waits:,}</td>'
        f'<td class="num">{h.open_dead_letters:,}</td></tr>'
        for h in rows
    )
    return (
        '<div class="card"><h2>CRM connectors</h2><table id="crm-connectors"><tr>'
        '<th>connector</th><th>CRM</th><th>last success</th><th class="num">written</th>'
        '<th class="num">error rate</th><th class="num">rate-limit waits</th>'
        f'<th class="num">open dead letters</th></tr>{body}</table></div>'
    )


def _record(record: CrmRecord, kind: str, portal: int | None) -> str:
    if record.record_id is None:
        return '<span class="muted">unknown</span>'
    shown = f"<code>{esc(record.record_id)}</code>"
    if kind == "hubspot" and portal is not None:
        url = _HUBSPOT_CONTACT.format(portal=portal, id=quote(record.record_id, safe=""))
        return f'<a href="{esc(url)}" rel="noopener" target="_blank">{shown}</a>'
    return shown


def lead_crm_table(
    records: list[CrmRecord], kinds: dict[str, str], portal: int | None, now: float
) -> str:
    """The lead's record id and last sync in each configured CRM it was written to."""
    shown = [r for r in records if r.connector in kinds]
    if not shown:
        return '<p class="muted" id="crm-records">Not written to a CRM yet.</p>'
    rows = "".join(
        f'<tr data-connector="{esc(r.connector)}"><td>{esc(r.connector)}</td>'
        f"<td>{_record(r, kinds[r.connector], portal)}</td><td>{_since(r.synced_at, now)}</td>"
        "</tr>"
        for r in shown
    )
    return (
        '<table id="crm-records"><tr><th>connector</th><th>record id</th><th>last sync</th>'
        f"</tr>{rows}</table>"
    )
