"""The scoring engine: events -> identity, scores, stages, funnel in Valkey -> alert intents.

`run` is the consumer group service; `rescore` rebuilds all state from the events topic.

The tree, top to bottom; each sub-package imports only those below it (pyproject's layers
contract), and one message goes through them in this order:
- `runtime`: the process. `service` (lifecycle, retries, giving up), `consumer` (getmany,
  seek to Valkey's offsets, `log_check`), `batch` (two pipelined reads, then one apply.lua
  call per run of messages), `outbox` (publish, then delete), `sla` (the SLA tick),
  `dead_letters`, `errors`, `lead_cache`, `rescore`.
- `handlers`: what a message reads of its partition's view. `dispatch.apply_message` is the
  entry point: it decides the whole message (`dispatch.decide`), then writes it with one
  `apply_effects`. A behavior or CRM event goes to `event`, each scorer message (claim,
  merge, forget, account touch, info, lost, visit, stale) to the handler of its kind. A
  handler reads the view and asks the core for its decision, one call per decision; none
  writes.
- `read` (beside `handlers`, never imported by it): `store` and `facade` for ingest's read
  API and dashboard, the leads list (`list_page`, `list_walk`), `funnel_report`, `accounts`.
- `predict`: training the learned conversion score (the trainer, the model registry, the
  backtest, `leadpulse model`) and loading the live models (`refresh`).
- `storage` (beside `predict`; neither imports the other): where things live in Valkey.
  `keys`, `writes.WriteSet` (the op list apply.lua runs), `view.PartitionView` (a
  partition's state while a batch applies), `effects.apply_effects` (the one code that turns
  effects into writes), `horizons` (the timers a batch reads), `funnel`, `list_index` and
  `lead_writes`, `scripts` and `lua/`.
- `core`: the decisions, values in and out, no I/O. The entries the handlers call:
  `behavior.decide_event` (an event for its lead), `horizon.pass_time` (the time a message
  passes), `save.run_end` (a run's changed leads saved), `identity.hand_over` (a claim),
  `merge.merge_leads`, `stale.apply_stale`. Below them: `facts`, `config.Rules`, `rules`,
  `patterns`, `decay`, `days`, `scoring`, `content`, `signals`, the stage walk (`stages`,
  `steps`, `stage_walk`, `stage_moves`, `stage_effects`, `restage`), `alerts`,
  `crm_changes`, `accounts` and `account_events`, `state` (a lead's state and its JSON
  codec), `effects` (what can be decided: one record per kind of effect, `Effects`,
  `EffectLog`, `Outbound`), and `conversion` (the predictive score's per-event half).
- `metrics`: every Prometheus metric, importable from anywhere.

Decisions (details in each module's docstring):
- Exactly once: dedupe by event id (a window of `scoring.dedupe_window` ids per partition)
  and by offset; alert ids and control message ids are deterministic. A poison message is
  parked on the events dead-letter topic before its offset passes.
- Scores decay on event time (`core.decay`), several models side by side, the first is
  primary (lists, accounts, alerts); fit never decays; breakdown sums to the score.
- Stages (`core.stages`), walked again over a lead's steps in event time when a merge or a
  late event changes them (`core.stage_walk`, `core.restage`): live and rescore agree
  whenever merges arrive. Identity across partitions: `core.identity`, `core.merge`.
- Read path (`read.store`): decays to now; locates leads by reading all P partitions.
"""

from scorer.runtime.rescore import rescore
from scorer.runtime.service import run

__all__ = ["rescore", "run"]
