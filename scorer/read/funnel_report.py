"""The funnel report from summed counter shards: pure arithmetic, no I/O.

flow(stage) = entries with an event-time day in [from, to]; balance(stage) = all balance
deltas up to `to` (how many leads sit in the stage at the end of the period); conversion
rate(a -> b) = transitions a -> b in the period / flow(a) in the period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from typing import Any

from leadpulse.kernel.domain import Stage
from leadpulse.kernel.schema import STAGES

__all__ = ["CONVERSIONS", "funnel_report", "period_key"]

CONVERSIONS: tuple[tuple[Stage, Stage], ...] = (
    (Stage.VISITOR, Stage.LEAD),
    (Stage.LEAD, Stage.NURTURING),
    (Stage.LEAD, Stage.MQL),
    # The dead end: the book's "10% of new leads are never buyers".
    (Stage.LEAD, Stage.DEAD_END),
    (Stage.NURTURING, Stage.DEAD_END),
    (Stage.NURTURING, Stage.MQL),
    (Stage.MQL, Stage.SAL),
    (Stage.SAL, Stage.SQL),
    (Stage.SQL, Stage.OPPORTUNITY),
    (Stage.OPPORTUNITY, Stage.CUSTOMER),
    (Stage.RECYCLE, Stage.NURTURING),
    (Stage.RECYCLE, Stage.MQL),
)


def period_key(day: str, period: str) -> str:
    if period == "week":
        year, week, _ = date.fromisoformat(day).isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return day[:7]
    return day


def _sum_fields(shards: list[Mapping[Any, Any]]) -> dict[str, int]:
    total: dict[str, int] = defaultdict(int)
    for shard in shards:
        for field, value in shard.items():
            name = field.decode() if isinstance(field, bytes) else field
            total[name] += int(value)
    return total


def funnel_report(
    flow_shards: list[Mapping[Any, Any]],
    transition_shards: list[Mapping[Any, Any]],
    balance_shards: list[Mapping[Any, Any]],
    breakdown_shards: list[Mapping[Any, Any]] | None,
    *,
    start: date,
    end: date,
    period: str | None = None,
) -> dict[str, Any]:
    lo, hi = start.isoformat(), end.isoformat()
    flow: dict[str, int] = defaultdict(int)
    series: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for field, n in _sum_fields(flow_shards).items():
        day, stage = field.split("|", 1)
        if lo <= day <= hi:
            flow[stage] += n
            if period:
                series[period_key(day, period)][stage] += n
    balance: dict[str, int] = defaultdict(int)
    for field, n in _sum_fields(balance_shards).items():
        day, stage = field.split("|", 1)
        if day <= hi:
            balance[stage] += n
    moves: dict[tuple[str, str], int] = defaultdict(int)
    for field, n in _sum_fields(transition_shards).items():
        day, old, new = field.split("|", 2)
        if lo <= day <= hi:
            moves[(old, new)] += n
    report: dict[str, Any] = {
        "from": lo,
        "to": hi,
        "stages": [{"stage": s, "flow": flow[s], "balance": balance[s]} for s in STAGES],
        "conversions": [
            {
                "from": a,
                "to": b,
                "count": moves.get((a, b), 0),
                "rate": round(moves.get((a, b), 0) / flow[a], 4) if flow[a] else 0.0,
            }
            for a, b in CONVERSIONS
        ],
        "recycled": [
            {"from": a, "to": b, "count": n}
            for (a, b), n in sorted(moves.items())
            if Stage.RECYCLE in (a, b)
        ],
    }
    if breakdown_shards is not None:
        by_key: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for field, n in _sum_fields(breakdown_shards).items():
            day, stage, key = field.split("|", 2)
            if lo <= day <= hi:
                by_key[key][stage] += n
        report["breakdown"] = [
            {"key": key, "stages": [{"stage": s, "flow": stages[s]} for s in STAGES]}
            for key, stages in sorted(by_key.items(), key=lambda kv: -sum(kv[1].values()))
        ]
    if period:
        report["series"] = [
            {"period": key, "stages": [{"stage": s, "flow": stages[s]} for s in STAGES]}
            for key, stages in sorted(series.items())
        ]
    return report
