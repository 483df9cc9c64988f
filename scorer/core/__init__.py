"""The decision core: facts, rules, decay, stages, content, scores and alert decisions, and
the effects a handler can decide (`effects`), and the predictive score's per-event half
(`conversion`).

Values in, decisions out: no I/O, no Valkey keys, no Kafka. A change to *what* the scorer
decides (a rule kind, a stage transition, an alert's content) goes here. Imports nothing
from the rest of the scorer (`scorer.metrics` aside).
"""
