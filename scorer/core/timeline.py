"""A lead's timeline and score history: how the lead's page shows each of its events, kept
on the event's step.

Every event a lead applies leaves a step (`steps.Step`), and the step carries how the page
shows the event (`shown`): on the timeline, its kind, name, path, title, why it was
flagged, and the points each rule gave it; on the score history, the [time, score] it put
there (an event that scored). So both travel wherever the steps go (a save, a merge, a
rescore) and are compressed with the state, rather than kept as lists of JSON entries of
their own. The read API lists the newest `scoring.timeline_max` entries (at most the
STEPS_KEPT a lead keeps) and the newest SCORE_POINTS_KEPT points.

Leads stored by earlier versions also have both lists of their own (`lp:{pN}:tl:<id>`,
`lp:{pN}:sh:<id>`), for the events applied before this layout: the read API reads them
beside the steps' own, and a merge attaches the timeline entries its merged-away lead
brought to the steps they describe (`merged_steps`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from scorer.core.facts import EventFacts
from scorer.core.steps import SHOWN, STEPS_KEPT

__all__ = ["SCORE_POINTS_KEPT", "entries", "merged_steps", "score_points", "shown_of"]

SCORE_POINTS_KEPT = 100
_POINT = 6  # where a shown event keeps its score point


def shown_of(
    facts: EventFacts, awarded: Sequence[tuple[str, float]], point: list[float] | None = None
) -> list[Any]:
    """How the lead's page shows the event: [kind, name, path, title, flagged, points,
    point], its trailing nulls left out (a stored step's are too). `point`: the [time,
    score] the event put on the score history, if it scored."""
    flagged = (facts.noise_reason or "noise") if facts.noise else None
    points = [[rule, value] for rule, value in awarded] or None
    shown: list[Any] = [facts.kind, facts.name or None, facts.path or None, facts.title or None]
    shown += [flagged, points, point]
    return _trimmed(shown)


def _trimmed(shown: list[Any]) -> list[Any]:
    while shown and shown[-1] is None:
        shown.pop()
    return shown


def _entry(t: float, event_id: str, shown: Sequence[Any]) -> dict[str, Any]:
    kind, name, path, title, flagged, points = (*shown, *[None] * _POINT)[:_POINT]
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


def score_points(
    steps: Sequence[Sequence[Any]], legacy: Iterable[bytes | str] = ()
) -> list[list[float]]:
    """The score history, oldest first: the newest SCORE_POINTS_KEPT [time, score] points of
    the steps and of `legacy` (points an earlier version kept apart, before it applied any
    of these steps)."""
    found: list[list[float]] = []
    for step in reversed(steps):
        if len(step) > SHOWN and step[SHOWN] is not None and len(step[SHOWN]) > _POINT:
            found.append(step[SHOWN][_POINT])
            if len(found) == SCORE_POINTS_KEPT:
                break
    found.extend(orjson.loads(point) for point in legacy)
    return sorted(found)[-SCORE_POINTS_KEPT:]


def _shown_from(entry: dict[str, Any]) -> list[Any]:
    shown = [
        entry.get("type"),
        entry.get("event"),
        entry.get("path"),
        entry.get("title"),
        entry.get("flagged"),
        entry.get("points"),
    ]
    return _trimmed(shown)


def merged_steps(steps: list[list[Any]], lines: Iterable[bytes | str]) -> list[list[Any]]:
    """A merged-away lead's `steps` as its survivor keeps them: without the points they put
    on the merged-away lead's own score history (a score of another lead), and each that
    shows nothing given the entry its event has among the timeline entries an earlier
    version kept apart (`lines`; one whose event has no step is older than every step the
    lead kept, and is dropped)."""
    by_id: dict[Any, dict[str, Any]] = {}
    for line in lines:
        entry = orjson.loads(line)
        by_id[entry.get("id")] = entry
    joined: list[list[Any]] = []
    for step in steps:
        shown = step[SHOWN] if len(step) > SHOWN else None
        if shown is None and step[1] in by_id:
            shown = _shown_from(by_id[step[1]])
        elif shown is not None and len(shown) > _POINT:
            shown = _trimmed(shown[:_POINT])
        else:
            joined.append(step)
            continue
        padded = [*step, *([None] * (SHOWN - len(step)))]
        joined.append([*padded[:SHOWN], shown])
    return joined
