"""The stage machine walked over a lead's steps in event-time order: a pure function.

A lead's stage history is defined as this walk over every step it holds, whichever
partition applied them and whenever a merge brought them together. Events applied in
order take the same decisions one at a time (`scorer.core.behavior`); a merge, or an event older
than the lead's latest step, walks again (`restage`), so the result does not depend on
when a merge message arrives.

The walk's rules, beyond the stage machine's (`stages`):
- The lead is identified from its first step whose event names a known person (an email,
  a user or CRM id; flag `k`, or `i` on steps stored by older versions) on, in event time:
  never from when a step was applied, so a page that arrives after the identify but was
  viewed before it is a visitor's page live and in a rebuild alike. Before that the lead
  is a `visitor` and moves nowhere; a fast-pass action taken while anonymous is held
  and counts at the step that identifies the lead (its alert names the held event).
- A score crosses its threshold at a step when the points of every step up to it, decayed
  to that step's time, plus the fit the lead had then, reach the model's threshold.
- A stale-SLA step recycles only the very stay it names.
- A second `lost`/`not_now` on a recycled lead restarts the pause; it is no new entry.
- A CRM outcome takes effect no earlier than the lead's first own step as a known person
  (its first identified step that is not itself a CRM outcome): one dated before that step
  is walked right after it, at its time, with its own date kept as `reported`; any other
  is walked at its own date. A lead holding CRM outcomes only takes them at their dates.
  So the placement is a function of the lead's steps, never of the order they arrived in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
from typing import Any, NamedTuple

from leadpulse.kernel.domain import Stage
from scorer.core.config import Rules
from scorer.core.decay import DAY
from scorer.core.rules import email_domain
from scorer.core.stages import SALES_STAGES, Signals, transitions
from scorer.core.steps import Entry, Step

__all__ = ["Placed", "Walk", "opens_known", "place", "walk"]


@dataclass(slots=True)
class Walk:
    history: list[Entry] = field(default_factory=list)
    stage: str | None = None
    stage_at: float = 0.0
    paused_until: float | None = None
    lost: bool = False
    held: str | None = None


@dataclass(slots=True)
class _Score:
    """Each model's decayed points so far, and the fit last known for an identified step."""

    values: dict[str, list[float]] = field(default_factory=dict)
    fit: dict[str, float] = field(default_factory=dict)

    def add(self, rules: Rules, step: Step, at: float, identified: bool) -> None:
        """Decay to `at` and add the step's points, earned at its own time."""
        for model in rules.compiled.models:
            value = self.values.setdefault(model.name, [0.0, at])
            hl = model.model.half_life_days * DAY
            earned = step.points.get(model.name, 0.0) * 2.0 ** ((step.t - at) / hl)
            value[0] = value[0] * 2.0 ** ((value[1] - at) / hl) + earned
            value[1] = at
        if identified and step.fit is not None:
            self.fit = step.fit

    def crossed(self, rules: Rules) -> str | None:
        for model in rules.compiled.models:
            total = self.values.get(model.name, [0.0])[0] + self.fit.get(model.name, 0.0)
            if total >= model.model.threshold:
                return model.name
        return None


class Placed(NamedTuple):
    """A step where the walk takes it: at `at`, and `reported` its own date if later."""

    step: Step
    at: float
    reported: float | None


def _names_person(flags: str) -> bool:
    return "k" in flags or "i" in flags


def _known(steps: list[str]) -> list[bool]:
    """Per step (flags, in time order): taken by the lead as a known person. A CRM outcome
    is none, and names nobody here: it takes effect at the lead's own first known step."""
    identified = False
    known = []
    for flags in steps:
        own = "c" not in flags
        identified = identified or (own and _names_person(flags))
        known.append(identified and own)
    return known


def _as_is(step: Step) -> Placed:
    # A step stored by an older version was placed already and holds its date in extra.
    reported = step.extra[1] if "c" in step.flags else None
    return Placed(step, step.t, reported)


def place(steps: list[Step]) -> list[Placed]:
    """The steps (in time order) in the order and at the times the walk takes them."""
    known = _known([s.flags for s in steps])
    anchor = next((i for i, k in enumerate(known) if k), None)
    if anchor is None:
        return [_as_is(s) for s in steps]
    head, first = steps[:anchor], steps[anchor]
    early = [Placed(s, first.t, s.t) for s in head if "c" in s.flags]
    return [
        *(_as_is(s) for s in head if "c" not in s.flags),
        _as_is(first),
        *early,
        *(_as_is(s) for s in steps[anchor + 1 :]),
    ]


def opens_known(steps: list[list[Any]]) -> bool:
    """True when the newest step is the lead's first known step and CRM outcomes precede it:
    they take effect at it now, so the lead is walked again."""
    if not steps:
        return False
    newest = str(steps[-1][2])
    if "c" in newest or not _names_person(newest):
        return False
    # Newest first: a lead known before stops at its previous own step naming a person, so
    # this costs a step or two per event, not the lead's whole record.
    crm = False
    for raw in islice(reversed(steps), 1, None):
        flags = str(raw[2])
        if "c" in flags:
            crm = True
        elif _names_person(flags):
            return False
    return crm


def _start(prefix: list[Entry], rules: Rules) -> Walk:
    w = Walk(history=list(prefix))
    if prefix:
        last = prefix[-1]
        w.stage, w.stage_at = last.stage, last.at
        if last.stage == Stage.RECYCLE:
            w.paused_until = last.at + rules.config.stages.pause_days * DAY
            w.lost = last.reason == "crm:lost"
    return w


def _enter(
    w: Walk, rules: Rules, p: Placed, to: str, reason: str, trigger: str, model: str | None
) -> None:
    step = p.step
    if to == Stage.RECYCLE:
        w.paused_until = p.at + rules.config.stages.pause_days * DAY
        w.lost = reason == "crm:lost"
        if w.stage == Stage.RECYCLE:
            return  # the pause restarts; the lead did not enter recycle again
    elif w.stage == Stage.RECYCLE:
        w.paused_until = None
    if to in SALES_STAGES:
        w.lost = False  # sales has the deal again (or won it): nothing to return from
    w.history.append(
        Entry(to, p.at, reason, trigger, step.source, step.campaign, model, p.reported)
    )
    w.stage, w.stage_at = to, p.at


def _moves(
    w: Walk,
    rules: Rules,
    step: Step,
    score: _Score,
    identified: bool,
    last_page: float | None,
    email: str | None,
) -> tuple[list[tuple[str, str]], str, str | None]:
    """(moves, the event named as their trigger, model crossed) of one step."""
    assert w.stage is not None
    stages = rules.config.stages
    if "s" in step.flags:
        named, since = step.extra
        if named == w.stage and f"{float(since):.3f}" == f"{w.stage_at:.3f}":
            return [(Stage.RECYCLE.value, "sla:stale")], step.event_id, None
        return [], step.event_id, None
    if "c" in step.flags:
        return (
            transitions(w.stage, Signals(t=step.t, crm_outcome=step.extra[0])),
            step.event_id,
            None,
        )
    domain = email_domain(email)
    target = domain is not None and domain in rules.compiled.lists["target_accounts"]
    fast = "f" in step.flags or (
        "w" in step.flags and stages.target_account_event_fast_pass and target
    )
    trigger = step.event_id
    if fast and not identified:
        w.held = w.held or step.event_id
    elif identified and w.held is not None:
        fast, trigger = True, w.held
    if identified:
        w.held = None
    return_visit = (
        "p" in step.flags
        and last_page is not None
        and step.t - last_page >= stages.return_visit_after_minutes * 60
    )
    crossed = score.crossed(rules)
    signals = Signals(
        t=step.t,
        identified=identified,
        engaging="e" in step.flags,
        nurturing=return_visit or "n" in step.flags,
        fast_pass=fast,
        over_threshold=crossed is not None,
        disqualified=step.extra if "d" in step.flags else None,
        paused_until=w.paused_until,
    )
    return transitions(w.stage, signals), trigger, crossed


def walk(prefix: list[Entry], steps: list[Step], rules: Rules, email: str | None) -> Walk:
    """The stage history from `prefix` (entries older than every step) through `steps`."""
    w = _start(prefix, rules)
    score = _Score()
    identified = w.stage not in (None, "visitor")
    last_page: float | None = None
    for p in place(steps):
        step = p.step
        identified = identified or _names_person(step.flags)
        score.add(rules, step, p.at, identified)
        if w.stage is None:
            w.stage, w.stage_at = ("lead" if identified else "visitor"), p.at
            w.history.append(Entry(w.stage, p.at, "new", step.event_id, step.source, step.campaign))
        moves, trigger, crossed = _moves(w, rules, step, score, identified, last_page, email)
        for to, reason in moves:
            model = crossed if reason == "score_threshold" else None
            _enter(w, rules, p, to, reason, trigger, model)
        if "p" in step.flags:
            last_page = max(last_page or step.t, step.t)
    return w


def entries_of(raw: list[list[Any]]) -> list[Entry]:
    return [Entry.of(e) for e in raw]
