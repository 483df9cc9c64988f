"""A lead's decision, its example, and its horizon timer.

The decision is the lead's first entry into one of `predict.decision_stages` since its last
CRM outcome, as its stage history says. It ends in exactly one example: the first of its
CRM outcome (`outcomes.note_stage_move`) or its horizon passing without one
(`horizon.pass_time`). A decision closed by its horizon is noted on the lead
(`horizon_closed`), so an outcome after it makes no second example.

Each open decision has a timer in the partition's sorted set `pk.horizon` (member
`<lead_id>|<decision time>`, score: its deadline, the decision + the horizon).
"""

from __future__ import annotations

from collections.abc import Collection

from scorer.context import Outbound, PartitionView, Rules, queue_outbound
from scorer.decay import DAY
from scorer.predict.examples import NEGATIVE, POSITIVE, Example, Snapshot, encode_example
from scorer.predict.features import features_of, score_at
from scorer.predict.segments import model_for
from scorer.state import LeadState
from scorer.steps import Entry
from scorer.writes import WriteSet

__all__ = [
    "NO_OUTCOME",
    "OUTCOMES_TOPIC",
    "deadline_of",
    "decision_at",
    "member_of",
    "queue_example",
    "unwatch",
    "watch",
]

OUTCOMES_TOPIC = "outcomes"  # the outbox's name for `TopicNames.outcomes`
NO_OUTCOME = "no_outcome"  # the outcome of a decision whose horizon passed without one


def decision_at(state: LeadState, stages: Collection[str]) -> tuple[float, str] | None:
    """(time, stage) of the lead's first entry into one of `stages` since its last outcome."""
    found: tuple[float, str] | None = None
    for raw in state.history:
        entry = Entry.of(raw)
        reason = entry.reason or ""
        if reason.startswith("crm:") and reason.removeprefix("crm:") in POSITIVE | NEGATIVE:
            found = None
        elif found is None and entry.stage in stages:
            found = (float(entry.at), entry.stage)
    return found


def member_of(lead_id: str, at: float) -> str:
    return f"{lead_id}|{at!r}"


def deadline_of(at: float, rules: Rules) -> float:
    return at + rules.predict.horizon_days * DAY


def watch(ws: WriteSet, view: PartitionView, state: LeadState, at: float, rules: Rules) -> None:
    """Start the timer of the lead's decision at `at` (again: the same member, no change)."""
    if state.horizon_closed == at:
        return
    member, deadline = member_of(state.lead_id, at), deadline_of(at, rules)
    if view.horizons.get(member) != deadline:
        view.horizons[member] = deadline
        view.horizon_next = min(view.horizon_next, deadline)
        ws.zadd(view.pk.horizon, deadline, member)


def unwatch(ws: WriteSet, view: PartitionView, member: str) -> None:
    view.horizons.pop(member, None)
    ws.zrem(view.pk.horizon, member)


def queue_example(
    ws: WriteSet,
    view: PartitionView,
    state: LeadState,
    rules: Rules,
    decided: tuple[float, str],
    outcome: str,
    t: float,
) -> None:
    """The decision's one example, in the outbox of the run that ends it.

    An outcome later than the horizon (or none at all) gives the horizon's example, dated
    at the deadline, whichever of the two came first in the log: the same bytes either way."""
    at, stage = decided
    model = model_for(state, rules)
    if model is None:
        return  # no model learns from this lead
    deadline = deadline_of(at, rules)
    won = outcome in POSITIVE and t <= deadline
    if outcome == NO_OUTCOME or t > deadline:
        outcome, t = NO_OUTCOME, deadline
        state.horizon_closed = at
    example = Example(
        example_id=f"{state.lead_id}|{at:.3f}",
        lead_id=state.lead_id,
        model=model,
        snapshot=Snapshot(
            at=at,
            stage=stage,
            features=features_of(state, rules, at),
            score=score_at(state, rules, at),
        ),
        outcome=outcome,
        outcome_at=t,
        label=int(won),
    )
    message = Outbound(
        f"ex:{example.example_id}", OUTCOMES_TOPIC, state.lead_id, encode_example(example)
    )
    queue_outbound(view, ws, message)
    unwatch(ws, view, member_of(state.lead_id, at))
