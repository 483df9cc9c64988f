"""Every Prometheus metric the scorer exports (bounded labels only; never a lead id)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "ALERTS_QUEUED",
    "BATCH_FAILURES",
    "BATCH_SECONDS",
    "CONFLICTS",
    "DEAD_LETTERED",
    "GAVE_UP",
    "LAG",
    "LOG_RESETS",
    "MESSAGES",
    "OUTBOX_FAILURES",
    "OUTBOX_PUBLISHED",
    "READY",
    "RETRY_WAITS",
    "SCRIPT_RELOADS",
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
SCRIPT_RELOADS = Counter(
    "leadpulse_scorer_script_reloads_total",
    "Times Valkey answered NOSCRIPT (restarted or flushed) and the Lua scripts were loaded again",
)
RETRY_WAITS = Counter(
    "leadpulse_scorer_retry_waits_total",
    "Back-off waits after a failed batch, by cause (valkey_unreachable, broker_away, error)",
    ["cause"],
)
LOG_RESETS = Counter(
    "leadpulse_scorer_partition_log_resets_total",
    "Partitions whose log was replaced (topic recreated, broker emptied): consumed from the start",
)
LAG = Gauge(
    "leadpulse_scorer_lag_messages",
    "Messages behind the high watermark of the last fetch, per partition (never negative)",
    ["partition"],
)
READY = Gauge(
    "leadpulse_scorer_ready",
    "1 when the readiness checks held at the last /readyz or scrape, else 0",
)
DEAD_LETTERED = Counter(
    "leadpulse_scorer_dead_lettered_total",
    "Poison messages parked on the events dead-letter topic, by reason "
    "(undecodable, handler_failed)",
    ["reason"],
)
GAVE_UP = Counter(
    "leadpulse_scorer_gave_up_total",
    "Times the scorer stopped after too many failed steps in a row (to be restarted)",
)
