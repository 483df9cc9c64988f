"""Every Prometheus metric the scorer exports (bounded labels only; never a lead id)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "ALERTS_QUEUED",
    "BATCH_FAILURES",
    "BATCH_SECONDS",
    "CONFLICTS",
    "LAG",
    "MESSAGES",
    "OUTBOX_FAILURES",
    "OUTBOX_PUBLISHED",
    "READY",
    "SLA_FIRED",
]

MESSAGES = Counter(
    "leadpulse_scorer_messages_total",
    "Messages consumed from the events topic, by outcome",
    ["outcome"],
)
CONFLICTS = Counter(
    "leadpulse_scorer_offset_conflicts_total",
    "Partitions whose apply chain found another offset stored (re-read from Valkey)",
)
BATCH_SECONDS = Histogram(
    "leadpulse_scorer_batch_seconds", "Time to apply one getmany() batch, reads to commit"
)
OUTBOX_PUBLISHED = Counter(
    "leadpulse_scorer_outbox_published_total", "Outbox messages published, by topic", ["topic"]
)
OUTBOX_FAILURES = Counter(
    "leadpulse_scorer_outbox_failures_total", "Outbox flushes that failed (retried later)"
)
ALERTS_QUEUED = Counter(
    "leadpulse_scorer_alerts_total", "Alert intents published, by type", ["type"]
)
BATCH_FAILURES = Counter(
    "leadpulse_scorer_batch_failures_total", "Batches that failed and were resumed from Valkey"
)
SLA_FIRED = Counter("leadpulse_scorer_sla_fired_total", "SLA timers fired into alerts")
# Per held partition: the highwater of the last fetch minus the next offset to apply.
# A partition that changes hands leaves this scorer's series (the new owner reports it).
LAG = Gauge(
    "leadpulse_scorer_lag_messages",
    "Events on the topic this scorer has not applied yet, by partition it holds",
    ["partition"],
)
READY = Gauge(
    "leadpulse_scorer_ready",
    "1 when the readiness checks held at the last /readyz or scrape, else 0",
)
