"""A lead's stage-relevant record of each event (`steps`) and of each stage entry (`history`).

Both are kept in the lead's state as compact JSON lists (a step's trailing nulls left out),
so a merge or an event that comes late can walk them again in event-time order
(`stage_walk`). A step holds what the stage machine needs of its event: time, id, flags,
points per model, fit per model (on steps of an identified lead), utm source and campaign,
one extra value (the CRM outcome, the disqualifying trait, or the stay a stale timer names),
the lead's profile when the event changed it (`scorer.core.conversion.profile`: what a
decision's snapshot reads of who the lead was), and how the lead's timeline shows the event
(`scorer.core.timeline`; steps of timers show nothing).

Flags: k = the event names a known person (an email, a user or CRM id), i = (steps stored
by older versions) the lead was identified when the event applied; either makes the lead
identified from that step on in event time. p = page view, e = engaging,
n = a nurturing event, f = a fast-pass event, w = a webinar attended (a fast pass for a
target account), c = CRM outcome, d = disqualifying traits, s = a stale sales stay.
"""

from __future__ import annotations

import bisect
from datetime import UTC, datetime
from typing import Any, NamedTuple

__all__ = [
    "FIT",
    "HISTORY_KEPT",
    "PROFILE",
    "SHOWN",
    "STEPS_KEPT",
    "Entry",
    "Step",
    "insert_step",
    "stage_entry",
    "step_order",
]

# A lead keeps its last STEPS_KEPT steps and HISTORY_KEPT stage entries; a walk starts from
# the stage entries older than its first kept step.
STEPS_KEPT = 200
HISTORY_KEPT = 100


class Step(NamedTuple):
    t: float
    event_id: str
    flags: str
    points: dict[str, float]
    fit: dict[str, float] | None = None
    source: str | None = None
    campaign: str | None = None
    extra: Any = None
    profile: list[str] | None = None
    shown: list[Any] | None = None

    @classmethod
    def of(cls, raw: list[Any]) -> Step:
        return cls(*raw)

    def raw(self) -> list[Any]:
        """As stored: the fields after its last value are left out (most steps have no
        source, campaign, extra, profile or shown), and read back as None."""
        raw = list(self)
        while raw[-1] is None:
            raw.pop()
        return raw


# Indexes into a stored step, for the loops that read raw steps without building a `Step`
# (a stored step may end before either: its trailing nulls are left out).
FIT = Step._fields.index("fit")
PROFILE = Step._fields.index("profile")
SHOWN = Step._fields.index("shown")


class Entry(NamedTuple):
    """One entry into a stage: what moved the lead there, for funnel counts and alerts."""

    stage: str
    at: float
    reason: str | None = None
    trigger: str | None = None
    source: str | None = None
    campaign: str | None = None
    model: str | None = None
    reported: float | None = None  # a CRM outcome's own time, when it was placed later

    @classmethod
    def of(cls, raw: list[Any]) -> Entry:
        return cls(*raw[:8])

    def raw(self) -> list[Any]:
        return list(self)


def step_order(step: list[Any]) -> tuple[float, str]:
    return (float(step[0]), str(step[1]))


def insert_step(steps: list[list[Any]], step: Step) -> bool:
    """Insert in (time, event id) order, keep the newest STEPS_KEPT; True if it went last."""
    key = (step.t, step.event_id)
    last = not steps or step_order(steps[-1]) <= key
    if last:
        steps.append(step.raw())
    else:
        steps.insert(bisect.bisect_right([step_order(s) for s in steps], key), step.raw())
    if len(steps) > STEPS_KEPT:
        del steps[: len(steps) - STEPS_KEPT]
    return last


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat()


def stage_entry(raw: list[Any]) -> dict[str, Any]:
    """A stage history entry as the read API shows it."""
    e = Entry.of(raw)
    shown: dict[str, Any] = {"stage": e.stage, "at": _iso(e.at)}
    if e.reason is not None:
        shown["reason"] = e.reason
    if e.reported is not None:
        shown["reported_at"] = _iso(e.reported)
    return shown
