"""Training examples: what a CRM outcome means for the learned score.

The decision (`decisions.decision_at`) is the lead's first entry into a decision stage
(`predict.decision_stages`: `mql`, or a later one reached without it, by default) since its
last outcome. A CRM outcome (`won` positive; `lost`, `disqualified`, `not_now` negative;
any outcome after `predict.horizon_days` negative, as the horizon's example) becomes an
example of the lead's features at that moment (`features_of` reads only the steps up to
it: nothing after the decision leaks in, and a history re-walked after a merge gives the
same snapshot as the live path). It is written to the partition's outbox in the same apply
call as the state, after the outcome's stage entry (`note_outcome` -> `published.sync`), so
it is published once in effect. A decision the horizon closed first (`horizon`) makes no
second example. A move to `mql` predicts at once, so the alert it
raises carries a fresh prediction; every move has the run's end predict again, on the new
stage (`summary.predict_summary`).
"""

from __future__ import annotations

from scorer.core.config import Rules
from scorer.core.conversion.decisions import OUTCOMES_TOPIC, decision_at, watch
from scorer.core.conversion.examples import NEGATIVE, POSITIVE
from scorer.core.conversion.live import predict_lead
from scorer.core.conversion.published import sync
from scorer.core.conversion.summary import identified
from scorer.core.effects import EffectLog
from scorer.core.state import LeadState

__all__ = ["OUTCOMES_TOPIC", "note_outcome", "note_stage_move"]


def note_stage_move(
    log: EffectLog,
    state: LeadState,
    rules: Rules,
    to: str,
    reason: str,
    t: float,
) -> None:
    """Before the lead enters `to` for `reason` at `t`: a timer for a new decision, and the
    prediction refreshed (an alert raised by this move carries it)."""
    stages = rules.predict.decision_stages
    outcome = reason.startswith("crm:") and reason.removeprefix("crm:") in POSITIVE | NEGATIVE
    if not outcome and to in stages and decision_at(state, stages) is None:
        watch(log, state, t, rules)  # this move is the decision
    if to == "mql" and identified(state):
        state.prediction = predict_lead(state, rules, t)  # the mql alert carries it
    state.predicted = None  # the run's end predicts again, on the new stage


def note_outcome(log: EffectLog, state: LeadState, rules: Rules, reason: str) -> None:
    """After the lead entered a stage for `reason`: a CRM outcome ends its decision in an
    example."""
    if reason.startswith("crm:") and reason.removeprefix("crm:") in POSITIVE | NEGATIVE:
        sync(log, state, rules)
