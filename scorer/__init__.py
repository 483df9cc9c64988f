"""The scoring engine: events -> identity, scores, stages, funnel in Valkey -> alert intents.

`run` is the consumer group service; `rescore` rebuilds all state from the events topic.
"""

from scorer.rescore import rescore
from scorer.service import run

__all__ = ["rescore", "run"]
