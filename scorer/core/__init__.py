"""The decision core: what each message does, decided from values: no I/O, no Valkey keys,
no Kafka (an import-linter contract holds it).

The handlers call its entries, one call per decision: `behavior.decide_event` (a behavior
or CRM event for its lead), `horizon.pass_time` (the time a message passes),
`save.run_end` (a run's changed leads saved), `identity.hand_over` (a claim),
`merge.merge_leads` (a merge), `stale.apply_stale` (an SLA timer run out). Below them:
facts, rules, decay, scores, content, the stage walk, alerts, accounts, the lead's state,
the effects a decision returns (`effects`), and the predictive score's per-event half
(`conversion`).

A change to *what* the scorer decides (a rule kind, a stage transition, an alert's
content, what a merge keeps) goes here. Imports nothing
from the rest of the scorer (`scorer.metrics` aside).
"""
