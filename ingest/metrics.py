"""Every Prometheus metric of the collection edge, with bounded labels (never a person)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "EVENTS_ACCEPTED",
    "EVENTS_DROPPED",
    "EVENTS_REJECTED",
    "PUBLISH_LATENCY",
    "PUBLISH_OUTCOMES",
    "SPOOL_BYTES",
    "SPOOL_EVENTS",
    "SPOOL_REPLAYED",
]

EVENTS_ACCEPTED = Counter(
    "leadpulse_ingest_events_accepted_total",
    "Events answered 2xx and handed to the publisher, by source.",
    ["source"],
)
EVENTS_REJECTED = Counter(
    "leadpulse_ingest_events_rejected_total",
    "Events or whole requests refused with a 4xx/503, by reason and source.",
    ["reason", "source"],
)
EVENTS_DROPPED = Counter(
    "leadpulse_ingest_events_dropped_total",
    "Accepted events not published by policy (a forgotten person), by reason and source.",
    ["reason", "source"],
)
PUBLISH_LATENCY = Histogram(
    "leadpulse_ingest_publish_seconds",
    "Time from handing events to the publisher until broker ack or spool fsync.",
    ["path"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
PUBLISH_OUTCOMES = Counter(
    "leadpulse_ingest_publish_total",
    "Events made durable, by where: broker (acked) or spool (fsynced).",
    ["path"],
)
SPOOL_BYTES = Gauge("leadpulse_ingest_spool_bytes", "Bytes waiting in the local spool.")
SPOOL_EVENTS = Gauge("leadpulse_ingest_spool_events", "Events waiting in the local spool.")
SPOOL_REPLAYED = Counter(
    "leadpulse_ingest_spool_replayed_total", "Spooled events delivered to the broker on replay."
)
