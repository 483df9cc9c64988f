"""The scoring engine: events -> identity, scores, stages, funnel in Valkey -> alert intents.

`run` is the consumer group service; `rescore` rebuilds all state from the events topic.

Life of a message in the scorer (module doing it -> what can come out):
1. `consumer.ScorerLoop.step`: getmany() a batch; on assignment every partition seeks to the
   offset Valkey stored (`resume_from_valkey`), never to Kafka's committed offset, and the
   message found there proves the log is the one applied (`log_check`; else the partition
   is reset and read from its start, `partition_log_reset`).
2. `batch.apply_batch`: two pipelined reads per batch (offsets, dedupe hits, identity maps,
   forwards, suppression; then lead states), then `engine.apply_message` per message in
   offset order -> outcome applied | duplicate | suppressed | forwarded | control |
   unreadable, each with a `writes.WriteSet`. A poison message (undecodable, or its handler
   raises) is parked on the events dead-letter topic (`dead_letters`) before its offset
   passes -> outcome parked; the partition moves on.
3. One pipeline with one `lua/apply.lua` call per message: the effects, the partition's
   offset, the event id in the dedupe set and any outbox entries, atomically, chained on the
   previous offset (a zombie or a failed call writes nothing; the partition is re-read;
   NOSCRIPT from a restarted Valkey reloads the scripts and applies again).
4. `outbox.Outbox`: alerts (alerts topic) and claims/merges/forwards/account touches (events
   topic) are published from the outbox after the apply, then deleted; Kafka offsets are
   committed (a hint) at most once a second.
5. `sla.fire_due_timers` on a periodic tick: SLA alerts for leads that sent nothing more.
6. `service.run`: a failed step (Valkey or the broker away) is retried with backoff from
   Valkey's offsets; after `LP_SCORER_MAX_CONSECUTIVE_FAILURES` in a row the process logs
   `scorer_gave_up` and exits 1 for its supervisor to restart it (`errors` says what
   is retriable).

Decisions (details in each module's docstring):
- Exactly once: dedupe by event id (a window of `scoring.dedupe_window` ids per partition)
  and by offset; alert ids and control message ids are deterministic.
- Scores decay on event time (`decay`), several models side by side, the first is primary
  (lists, accounts, alerts); fit never decays; breakdown sums to the score.
- Stages (`stages`), walked again over a lead's steps in event time when a merge or a late
  event changes them (`stage_walk`, `restage`): live and rescore agree whenever merges
  arrive. Funnel (`funnel`, `funnel_report`), identity (`identity`, `merges`),
  content map (`content`), accounts: an `account` touch per engaged person at most every
  buying-group window / 4, keyed to the account so one scorer counts the group.
- Read path (`store`): decays to now; locates leads by reading all P partitions.
"""

from scorer.rescore import rescore
from scorer.service import run

__all__ = ["rescore", "run"]
