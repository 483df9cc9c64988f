"""Every Prometheus metric of the collection edge, with bounded labels (never a person)."""

from __future__ import annotations

import os

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.multiprocess import MultiProcessCollector

__all__ = [
    "CRM_NOTIFICATIONS",
    "EVENTS_ACCEPTED",
    "EVENTS_DROPPED",
    "EVENTS_REJECTED",
    "PUBLISH_LATENCY",
    "PUBLISH_OUTCOMES",
    "READY",
    "SERVER_ERRORS",
    "SPOOL_BYTES",
    "SPOOL_EVENTS",
    "SPOOL_REPLAYED",
    "exposition_registry",
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
# Under several workers each gauge is per process; their live values add up.
SPOOL_BYTES = Gauge(
    "leadpulse_ingest_spool_bytes", "Bytes waiting in the local spool.", multiprocess_mode="livesum"
)
SPOOL_EVENTS = Gauge(
    "leadpulse_ingest_spool_events",
    "Events waiting in the local spool.",
    multiprocess_mode="livesum",
)
# The edge answers 5xx only when it cannot make events durable (503) or on a bug (500).
SERVER_ERRORS = Counter(
    "leadpulse_ingest_server_errors_total",
    "Requests answered 5xx, by status and source.",
    ["status", "source"],
)
# Set by every /readyz and /metrics answer; under several workers, the latest one's.
READY = Gauge(
    "leadpulse_ingest_ready",
    "1 when the broker and Valkey answered at the last /readyz or scrape, else 0.",
    multiprocess_mode="livemostrecent",
)
CRM_NOTIFICATIONS = Counter(
    "leadpulse_ingest_crm_notifications_total",
    "HubSpot webhook events and Salesforce notifications received, by vendor and result: "
    "outcome (published), duplicate (redelivered), stale (older than a newer outcome), "
    "ignored (not an outcome), no_person (no contact or email to attribute it to).",
    ["vendor", "result"],
)
SPOOL_REPLAYED = Counter(
    "leadpulse_ingest_spool_replayed_total", "Spooled events delivered to the broker on replay."
)


def exposition_registry() -> CollectorRegistry:
    """What /metrics shows: this process's metrics, or all workers' when uvicorn runs several
    (`leadpulse ingest --workers N` sets PROMETHEUS_MULTIPROC_DIR, prometheus-client's switch)."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry
