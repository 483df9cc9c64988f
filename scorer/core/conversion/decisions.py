"""A lead's decision, its example, and its horizon timer.

The decision is the lead's first entry into one of `predict.decision_stages` since its last
CRM outcome, as its stage history says. It ends in exactly one example (`published`): the
first of its CRM outcome or its horizon passing without one (`horizon.pass_time`). A
decision closed by its horizon is noted on the lead (`horizon_closed`, kept through merges),
so an outcome after it makes no second example.

Each open decision has a timer in the partition's sorted set `pk.horizon` (member
`<lead_id>|<decision time>`, score: its deadline, the decision + the horizon).
"""

from __future__ import annotations

from collections.abc import Collection

from scorer.core.config import Rules
from scorer.core.conversion.examples import NEGATIVE, POSITIVE
from scorer.core.decay import DAY
from scorer.core.effects import EffectLog, UnwatchDecision, WatchDecision
from scorer.core.state import LeadState
from scorer.core.steps import Entry

__all__ = [
    "NO_OUTCOME",
    "OUTCOMES_TOPIC",
    "Decided",
    "deadline_of",
    "decision_at",
    "decisions_of",
    "member_of",
    "outcome_of",
    "unwatch",
    "watch",
]

OUTCOMES_TOPIC = "outcomes"  # the outbox's name for `TopicNames.outcomes`
NO_OUTCOME = "no_outcome"  # the outcome of a decision whose horizon passed without one


Decided = tuple[float, str]  # (time, stage) of a decision


def outcome_of(entry: Entry) -> str | None:
    """The CRM outcome that made this stage entry, if one did."""
    reason = entry.reason or ""
    outcome = reason.removeprefix("crm:")
    return outcome if reason.startswith("crm:") and outcome in POSITIVE | NEGATIVE else None


def decisions_of(state: LeadState, stages: Collection[str]) -> list[tuple[Decided, Entry | None]]:
    """Every decision in the lead's history, with the outcome entry that ended it (None:
    still open)."""
    found: list[tuple[Decided, Entry | None]] = []
    decided: Decided | None = None
    for raw in state.history:
        entry = Entry.of(raw)
        if outcome_of(entry) is not None:
            if decided is not None:
                found.append((decided, entry))
            decided = None
        elif decided is None and entry.stage in stages:
            decided = (float(entry.at), entry.stage)
    if decided is not None:
        found.append((decided, None))
    return found


def decision_at(state: LeadState, stages: Collection[str]) -> Decided | None:
    """(time, stage) of the lead's first entry into one of `stages` since its last outcome."""
    found = decisions_of(state, stages)
    return found[-1][0] if found and found[-1][1] is None else None


def member_of(lead_id: str, at: float) -> str:
    return f"{lead_id}|{at!r}"


def deadline_of(at: float, rules: Rules) -> float:
    return at + rules.predict.horizon_days * DAY


def watch(log: EffectLog, state: LeadState, at: float, rules: Rules) -> None:
    """Start the timer of the lead's decision at `at` (again: the same member, no change)."""
    if at in state.horizon_closed:
        return
    log.add(WatchDecision(member_of(state.lead_id, at), deadline_of(at, rules)))


def unwatch(log: EffectLog, member: str) -> None:
    log.add(UnwatchDecision(member))
