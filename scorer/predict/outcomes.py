"""Decision snapshots and training examples: what a stage move means for the learned score.

Entering the decision stage (`mql`, or a later one reached without it) freezes the lead's
features as they are then. A CRM outcome (`won` positive; `lost`, `disqualified`,
`not_now` negative; `won` after the horizon negative) turns the frozen snapshot into an
example on `leadpulse.outcomes`, written to the partition's outbox in the same apply call
as the state, so it is published once in effect however often the scorer crashes. The
lead's prediction is refreshed on every move, so an alert raised by it carries it.
"""

from __future__ import annotations

import msgspec

from scorer.alerts import primary_score
from scorer.context import Outbound, PartitionView, Rules, queue_outbound
from scorer.decay import DAY
from scorer.predict.examples import NEGATIVE, POSITIVE, Example, Snapshot, encode_example
from scorer.predict.features import features_of
from scorer.predict.live import predict_lead
from scorer.predict.registry import DEFAULT_MODEL
from scorer.state import LeadState
from scorer.writes import WriteSet

__all__ = ["DECISION_STAGES", "HORIZON_DAYS", "OUTCOMES_TOPIC", "note_stage_move"]

DECISION_STAGES = frozenset({"mql", "sal", "sql"})
HORIZON_DAYS = 90.0
OUTCOMES_TOPIC = "outcomes"  # the outbox's name for `TopicNames.outcomes`


def note_stage_move(
    ws: WriteSet,
    view: PartitionView,
    state: LeadState,
    rules: Rules,
    to: str,
    reason: str,
    t: float,
) -> None:
    """Before the lead enters `to` for `reason` at `t`: snapshot, example, prediction."""
    if to in DECISION_STAGES and state.decision is None:
        snapshot = Snapshot(
            at=t,
            stage=to,
            features=features_of(state, rules, t),
            score=primary_score(state, rules.compiled.models, t).total,
        )
        state.decision = msgspec.to_builtins(snapshot)
    outcome = reason.removeprefix("crm:")
    if reason.startswith("crm:") and outcome in POSITIVE | NEGATIVE and state.decision:
        snapshot = msgspec.convert(state.decision, Snapshot)
        won = outcome in POSITIVE and t - snapshot.at <= HORIZON_DAYS * DAY
        example = Example(
            example_id=f"{state.lead_id}|{snapshot.at:.3f}",
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
        state.decision = None
    state.prediction = predict_lead(state, rules, t)
