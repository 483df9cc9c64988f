"""The predictive conversion score: `p_convert`, learned from CRM outcomes, beside the rules.

This package trains and publishes it; the per-event half, what deciding a message needs,
is `scorer.core.conversion` (modules named `conversion.*` below).

Life of an outcome:
1. `conversion.outcomes.note_stage_move` (called by `stage_moves.move_stage`): entering a
   decision stage (`predict.decision_stages`) starts the decision's horizon timer
   (`conversion.decisions`); a CRM outcome, or the partition's event time passing the
   horizon first (`scorer.core.horizon`), turns the lead's features at the decision
   (`conversion.features`, `conversion.profile`) into one `conversion.examples.Example`
   for the lead's model (`conversion.segments`) in the partition's outbox ->
   `leadpulse.outcomes`. `conversion.published.sync` keeps what a lead published equal to
   what its walked history says: a merge or a late event that moves a decision replaces or
   retracts its example.
2. `trainer.run_trainer` (one per scorer process, one active: the topic has one
   partition): every example in order, each model on its own (`predict.models`) ->
   `learn.train` (river naive Bayes under `predict.naive_bayes_below` outcomes,
   FTRL-Proximal logistic regression beyond; Platt-calibrated on the newest quarter) ->
   `registry.publish` (a version in Valkey, live or shadow).
3. `refresh.refresh` once per batch loads the live versions; `conversion.summary.
   predict_summary` at each changed lead's run end and `note_stage_move` before an alert:
   `conversion.weights.predict` with the lead's model -> `prediction` in the lead's state,
   summary (list sort and filter), read API and alerts.
4. `leadpulse model status | report | train | promote | rollback` (`commands`, `report`).
"""

from scorer.predict.commands import (
    model_backtest,
    model_promote,
    model_rollback,
    model_status,
    model_train,
)

__all__ = ["model_backtest", "model_promote", "model_rollback", "model_status", "model_train"]
