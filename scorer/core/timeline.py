"""A lead's timeline: how each of its events is shown, kept on the event's step.

Every event a lead applies leaves a step (`steps.Step`), and the step carries how the
timeline shows the event (`shown`): its kind, name, path, title, why it was flagged, and
the points each rule gave it. So the timeline travels wherever the steps go (a save, a
merge, a rescore) and is compressed with the state, rather than kept as a list of JSON
entries of its own. The read API lists the newest `scoring.timeline_max` (at most the
STEPS_KEPT a lead keeps).

Leads stored by earlier versions also have entries in a list of their own
(`lp:{pN}:tl:<id>`), for the events applied before this layout: `entries` reads them
beside the steps' own, and a merge attaches those its merged-away lead brought to the
steps they describe (`with_legacy`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from scorer.core.facts import EventFacts
from scorer.core.steps import SHOWN, STEPS_KEPT

__all__ = ["entries", "shown_of", "with_legacy"]


def shown_of(facts: EventFacts, awarded: Sequence[tuple[str, float]]) -> list[Any]:
    """How the timeline shows the event: [kind, name, path, title, flagged, points], its
    trailing nulls left out (a stored step's are too)."""
    flagged = (facts.noise_reason or "noise") if facts.noise else None
    points = [[rule, value] for rule, value in awarded] or None
    shown: list[Any] = [facts.kind, facts.name or None, facts.path or None, facts.title or None]
    shown += [flagged, points]
    while shown[-1] is None:
        shown.pop()
    return shown


def _entry(t: float, event_id: str, shown: Sequence[Any]) -> dict[str, Any]:
    kind, name, path, title, flagged, points = (*shown, *[None] * 6)[:6]
    entry: dict[str, Any] = {"at": t, "type": kind, "id": event_id}
    if name:
        entry["event"] = name
    if path:
        entry["path"] = path
    if title:
        entry["title"] = title
    if flagged:
        entry["flagged"] = flagged
    if points:
        entry["points"] = points
    return entry


def entries(
    steps: Sequence[Sequence[Any]], legacy: Iterable[bytes | str] = (), keep: int = STEPS_KEPT
) -> list[dict[str, Any]]:
    """The timeline, newest first: the entries of the newest `keep` steps that show their
    event, and those of `legacy` (entries stored apart by an earlier version, which kept as
    many as it was configured to) for events no step shows."""
    found: list[dict[str, Any]] = []
    for step in reversed(steps):
        if len(step) > SHOWN and step[SHOWN] is not None:
            found.append(_entry(float(step[0]), str(step[1]), step[SHOWN]))
            if len(found) == keep:
                break
    if legacy:
        ids = {entry["id"] for entry in found}
        older = (orjson.loads(line) for line in legacy)
        found.extend(entry for entry in older if entry.get("id") not in ids)
        found.sort(key=lambda entry: -float(entry.get("at") or 0))  # stable: ties keep order
    return found


def _shown_from(entry: dict[str, Any]) -> list[Any]:
    shown = [
        entry.get("type"),
        entry.get("event"),
        entry.get("path"),
        entry.get("title"),
        entry.get("flagged"),
        entry.get("points"),
    ]
    while shown and shown[-1] is None:
        shown.pop()
    return shown


def with_legacy(steps: list[list[Any]], lines: Iterable[bytes | str]) -> list[list[Any]]:
    """`steps`, each that has no `shown` of its own given the one its event's legacy
    timeline entry (`lines`) describes. An entry whose event has no step is dropped: it
    is older than every step the lead kept."""
    by_id: dict[Any, dict[str, Any]] = {}
    for line in lines:
        entry = orjson.loads(line)
        by_id[entry.get("id")] = entry
    if not by_id:
        return steps
    joined: list[list[Any]] = []
    for step in steps:
        entry = by_id.get(step[1])
        if entry is not None and (len(step) <= SHOWN or step[SHOWN] is None):
            padded = [*step, *([None] * (SHOWN - len(step)))]
            step = [*padded[:SHOWN], _shown_from(entry)]
        joined.append(step)
    return joined
