"""Training examples: what a CRM outcome means for the learned score.

The decision is the lead's first entry into a decision stage (`predict.decision_stages`:
`mql`, or a later one reached without it, by default) since its last outcome, as its stage
history says. A CRM outcome (`won` positive; `lost`, `disqualified`, `not_now` negative;
`won` after `predict.horizon_days` negative) becomes an example of the lead's features at
that moment (`features_of` reads only the steps up to it: nothing after the decision leaks
in, and a history re-walked after a merge gives the same snapshot as the live path). It is
written to the partition's outbox in the same apply call as the state, so it is published
once in effect. The lead's prediction is refreshed on every move, so an alert raised by
the move carries it.
"""

from __future__ import annotations

from collections.abc import Collection

from scorer.context import Outbound, PartitionView, Rules, queue_outbound
from scorer.decay import DAY
from scorer.predict.examples import NEGATIVE, POSITIVE, Example, Snapshot, encode_example
from scorer.predict.features import features_of, score_at
from scorer.predict.live import predict_lead
from scorer.predict.registry import DEFAULT_MODEL
from scorer.predict.summary import identified
from scorer.state import LeadState
from scorer.steps import Entry
from scorer.writes import WriteSet

__all__ = ["OUTCOMES_TOPIC", "decision_at", "note_stage_move"]

OUTCOMES_TOPIC = "outcomes"  # the outbox's name for `TopicNames.outcomes`


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


def note_stage_move(
    ws: WriteSet,
    view: PartitionView,
    state: LeadState,
    rules: Rules,
    to: str,
    reason: str,
    t: float,
) -> None:
    """Before the lead enters `to` for `reason` at `t`: an example for an outcome, and the
    prediction refreshed (an alert raised by this move carries it)."""
    outcome = reason.removeprefix("crm:")
    decided = (
        decision_at(state, rules.predict.decision_stages) if reason.startswith("crm:") else None
    )
    if outcome in POSITIVE | NEGATIVE and decided is not None:
        at, stage = decided
        snapshot = Snapshot(
            at=at,
            stage=stage,
            features=features_of(state, rules, at),
            score=score_at(state, rules, at),
        )
        won = outcome in POSITIVE and t - at <= rules.predict.horizon_days * DAY
        example = Example(
            example_id=f"{state.lead_id}|{at:.3f}",
            lead_id=state.lead_id,
            model=DEFAULT_MODEL,
            snapshot=snapshot,
            outcome=outcome,
            outcome_at=t,
            label=int(won),
        )
        value = encode_example(example)
        msg_id = f"ex:{example.example_id}"
        queue_outbound(view, ws, Outbound(msg_id, OUTCOMES_TOPIC, state.lead_id, value))
    if identified(state):
        state.prediction = predict_lead(state, rules, t)
        state.predicted = None  # the run's end predicts again, on the new stage
