"""Funnel accounting: sharded daily counters written with each stage move, summed on read.

Per partition and event-time day (UTC): flow (entries into a stage), transitions
(from -> to, for conversion rates and recycle loops), balance deltas (+1 on entry, -1 on
exit; the balance on a day is the sum of all deltas up to it) and entries by the moving
event's utm_source (channel) and utm_campaign. Weeks and months are roll-ups of days at
read time. Noise never reaches here: flagged events move no stage.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from scorer.core.days import PerDay
from scorer.core.steps import Entry
from scorer.storage.keys import PartitionKeys
from scorer.storage.writes import WriteSet

__all__ = ["NONE_KEY", "count_history", "day_of", "record_entry", "record_exit"]

NONE_KEY = "(none)"


def _format_day(t: float, fmt: str) -> str:
    return datetime.fromtimestamp(t, UTC).strftime(fmt)


_DAYS = PerDay(_format_day)


def day_of(t: float) -> str:
    return _DAYS(t, "%Y-%m-%d")


def _clean(value: str | None) -> str:
    return (value or NONE_KEY).replace("|", "/")[:100]


def record_entry(
    ws: WriteSet,
    pk: PartitionKeys,
    t: float,
    stage: str,
    previous: str | None,
    source: str | None,
    campaign: str | None,
    by: int = 1,
) -> None:
    """A lead entered `stage` (from `previous`, or new) at event time `t` (-1: take back)."""
    day = day_of(t)
    ws.hincr(pk.funnel("flow"), f"{day}|{stage}", by)
    ws.hincr(pk.funnel("bal"), f"{day}|{stage}", by)
    if previous is not None:
        ws.hincr(pk.funnel("bal"), f"{day}|{previous}", -by)
        ws.hincr(pk.funnel("tr"), f"{day}|{previous}|{stage}", by)
    ws.hincr(pk.funnel("src"), f"{day}|{stage}|{_clean(source)}", by)
    ws.hincr(pk.funnel("cmp"), f"{day}|{stage}|{_clean(campaign)}", by)


def count_history(ws: WriteSet, pk: PartitionKeys, history: Sequence[Entry], by: int) -> None:
    """Count (by=1) or take back (by=-1) every entry of a lead's stage history."""
    previous: str | None = None
    for e in history:
        record_entry(ws, pk, e.at, e.stage, previous, e.source, e.campaign, by)
        previous = e.stage


def record_exit(ws: WriteSet, pk: PartitionKeys, t: float, stage: str) -> None:
    """A lead left the funnel from `stage` (merged into another, or forgotten)."""
    ws.hincr(pk.funnel("bal"), f"{day_of(t)}|{stage}", -1)
