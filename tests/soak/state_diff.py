"""Oracle (b): the live state equals a clean `leadpulse rescore` of the same topic into a
fresh Valkey, compared lead by lead through the read path (the functions the read API
serves: `scorer.read.store.list_leads`, `get_lead`, `get_funnel`), both read at one instant.

Alerts are compared as the scorer recorded them (type, id, time): the router's delivery log
beside them is not part of what a rescore rebuilds (oracle (c) checks the deliveries).
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scorer.read import store

__all__ = ["LeadsView", "diff_views", "read_view", "run_rescore"]

_PAGE = 500
_FIELDS = ("stage", "stage_history", "score", "timeline", "alerts")

LeadsView = tuple[dict[str, dict[str, Any]], dict[str, Any]]  # (lead id -> fields, funnel)


def _lead_fields(lead: dict[str, Any]) -> dict[str, Any]:
    fields = {name: lead[name] for name in _FIELDS}
    # Entries of one instant have no order between them: compare them in a canonical one.
    fields["timeline"] = sorted(fields["timeline"], key=lambda e: (e["at"] or "", str(e)))
    return fields


async def read_view(redis: Any, now: float) -> LeadsView:
    """Every listed lead's fields and the whole funnel, scores decayed to `now`."""
    leads: dict[str, dict[str, Any]] = {}
    offset = 0
    while True:
        page = await store.list_leads(redis, sort="created", offset=offset, limit=_PAGE, now=now)
        for row in page["leads"]:
            # The router's delivery log is not on the topic: compare the alert intents alone.
            lead = await store.get_lead(redis, row["lead_id"], now=now, delivery=False)
            if lead is not None:
                leads[lead["lead_id"]] = _lead_fields(lead)
        offset += _PAGE
        if offset >= page["total"]:
            break
    today = datetime.fromtimestamp(now, UTC).date()
    funnel = await store.get_funnel(
        redis, start=today - timedelta(days=60), end=today + timedelta(days=1)
    )
    return leads, funnel


def diff_views(live: LeadsView, rebuilt: LeadsView) -> tuple[int, list[str]]:
    """How many leads (and the funnel) differ, and a line naming each difference."""
    live_leads, live_funnel = live
    new_leads, new_funnel = rebuilt
    lines: list[str] = []
    for lead_id in sorted(live_leads.keys() | new_leads.keys()):
        a, b = live_leads.get(lead_id), new_leads.get(lead_id)
        if a is None or b is None:
            lines.append(f"{lead_id}: only in the {'rescore' if a is None else 'live'} state")
            continue
        fields = [name for name in _FIELDS if a[name] != b[name]]
        if fields:
            detail = "; ".join(_first_difference(name, a[name], b[name]) for name in fields)
            lines.append(f"{lead_id}: {detail}")
    if live_funnel != new_funnel:
        lines.insert(0, f"funnel differs: {_funnel_delta(live_funnel, new_funnel)}")
    return len(lines), lines


def _first_difference(name: str, live: Any, rebuilt: Any) -> str:
    """The path to the first place two values part (into dicts and lists), and both sides
    there: `score.breakdown[3].points live 12.5 rescore 10.0`."""
    while True:
        if isinstance(live, dict) and isinstance(rebuilt, dict) and live.keys() == rebuilt.keys():
            key = next(k for k in live if live[k] != rebuilt[k])
            name, live, rebuilt = f"{name}.{key}", live[key], rebuilt[key]
        elif isinstance(live, list) and isinstance(rebuilt, list) and len(live) == len(rebuilt):
            at = next(i for i, (x, y) in enumerate(zip(live, rebuilt, strict=True)) if x != y)
            name, live, rebuilt = f"{name}[{at}]", live[at], rebuilt[at]
        else:
            return f"{name} live {live!r:.250} rescore {rebuilt!r:.250}"


def _funnel_delta(a: dict[str, Any], b: dict[str, Any]) -> str:
    rows_a = {r["stage"]: r for r in a.get("stages", [])}
    rows_b = {r["stage"]: r for r in b.get("stages", [])}
    changed = [
        f"{stage} live {rows_a.get(stage)} rescore {rows_b.get(stage)}"
        for stage in sorted(rows_a.keys() | rows_b.keys())
        if rows_a.get(stage) != rows_b.get(stage)
    ]
    return "; ".join(changed) or "(outside the per-stage rows)"


def run_rescore(env: dict[str, str], redis_url: str, log: Path, seconds: float = 600) -> float:
    """`leadpulse rescore` of the live topic into the Valkey at `redis_url`; returns seconds."""
    started = time.monotonic()
    with log.open("ab") as out:
        subprocess.run(
            [sys.executable, "-m", "leadpulse", "rescore"],
            env={**env, "LP_REDIS_URL": redis_url},
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=seconds,
            check=True,
        )
    return time.monotonic() - started
