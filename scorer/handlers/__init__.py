"""One module per message kind, applied to a partition's view: `dispatch.apply_message` is
the entry point; `event` (behavior and CRM events), `claim`, `merge`, `forget`,
`account_touch`, `account_info` and `account_returns` (losses and visits) are the kinds
(a stale timer needs only its lead, so its row in `dispatch.HANDLERS` calls the core).

A handler reads the view (`storage.view.PartitionReads`) and asks the core for the
decision, one call per decision; it returns `core.effects.Effects` and none writes.
`dispatch.decide` puts one message's whole decision together (the time it passes, its
handler's effects, the offset's move), and `dispatch.apply_message` hands it to
`storage.effects.apply_effects` once.

A change to which state a message reads goes here; what it decides goes to `scorer.core`.
May import `scorer.storage` and `scorer.core`; never the read side, `scorer.predict` or
`scorer.runtime`.
"""
