"""One module per message kind, applied to a partition's view: `dispatch.apply_message` is
the entry point; `event` (behavior and CRM events), `identity` (claims), `merge`,
`forget`, `account_touch`, `account_info`, `account_returns` (losses and visits) and
`stale` are the kinds; `stage_moves`, `stage_effects`, `restage`, `summary`,
`crm_changes` and `horizon` are the steps they share.

A handler reads the view and returns `storage.effects.Effects`, which `dispatch` hands to
`apply_effects` (claims, forgets, account touches, info, losses and visits, and which lead
an event names, so far); merges, stale timers and an event's own scoring still write
through the stage walk as they go.

A change to what a message *does* goes here. May import `scorer.predict`, `scorer.storage`
and `scorer.core`; never the read side or `scorer.runtime`.
"""
