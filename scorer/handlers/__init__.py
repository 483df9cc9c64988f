"""One module per message kind, applied to a partition's view: `dispatch.apply_message` is
the entry point; `event` (behavior and CRM events), `identity` (claims), `merge`,
`forget`, `account_touch`, `account_info`, `account_returns` (losses and visits) and
`stale` are the kinds; `stage_moves`, `stage_effects`, `restage`, `summary`,
`crm_changes` and `horizon` are the steps they share.

A handler reads the view (`storage.view.PartitionReads`) and returns `core.effects.Effects`;
none writes. `dispatch.decide` puts one message's whole decision together (the time it
passes, its handler's effects, the offset's move), and `dispatch.apply_message` hands it to
`storage.effects.apply_effects` once.

A change to what a message *does* goes here. May import `scorer.predict`, `scorer.storage`
and `scorer.core`; never the read side or `scorer.runtime`.
"""
