"""Funnel accounting: sharded daily counters written with each stage move, summed on read.

Per partition and event-time day (UTC): flow (entries into a stage), transitions
(from -> to, for conversion rates and recycle loops), balance deltas (+1 on entry, -1 on
exit; the balance on a day is the sum of all deltas up to it) and entries by the moving
event's utm_source (channel) and utm_campaign. Weeks and months are roll-ups of days at
read time. Noise never reaches here: flagged events move no stage.
"""

from __future__ import annotations

from datetime import UTC, datetime

from scorer.days import PerDay
from scorer.keys import PartitionKeys
from scorer.writes import WriteSet

__all__ = ["NONE_KEY", "day_of", "record_entry", "record_exit", "record_transition"]

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
) -> None:
    """A lead entered `stage` (from `previous`, or new) at event time `t`."""
    day = day_of(t)
    ws.hincr(pk.funnel("flow"), f"{day}|{stage}", 1)
    ws.hincr(pk.funnel("bal"), f"{day}|{stage}", 1)
    if previous is not None:
        ws.hincr(pk.funnel("bal"), f"{day}|{previous}", -1)
        ws.hincr(pk.funnel("tr"), f"{day}|{previous}|{stage}", 1)
    ws.hincr(pk.funnel("src"), f"{day}|{stage}|{_clean(source)}", 1)
    ws.hincr(pk.funnel("cmp"), f"{day}|{stage}|{_clean(campaign)}", 1)


def record_exit(ws: WriteSet, pk: PartitionKeys, t: float, stage: str) -> None:
    """A lead left the funnel from `stage` (merged into another, or forgotten)."""
    ws.hincr(pk.funnel("bal"), f"{day_of(t)}|{stage}", -1)


def record_transition(ws: WriteSet, pk: PartitionKeys, t: float, old: str, new: str) -> None:
    """A conversion counted without a new entry (a visitor merged into its lead)."""
    ws.hincr(pk.funnel("tr"), f"{day_of(t)}|{old}|{new}", 1)
