"""Every Prometheus metric the router records. Labels are bounded: destination names come
from the config, reasons from the fixed set the senders use; never a lead or alert id."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "ALERTS_CONSUMED",
    "ALERTS_THROTTLED",
    "ALERTS_UNREADABLE",
    "CRM_CHANGES",
    "CRM_DEAD_LETTERED",
    "CRM_RATE_WAITS",
    "CRM_REQUESTS",
    "CRM_WRITTEN",
    "DEAD_LETTERED",
    "DELIVERED",
    "DELIVERY_SECONDS",
    "HANDLING_ERRORS",
    "READY",
    "RETRIED",
]

ALERTS_CONSUMED = Counter(
    "leadpulse_router_alerts_consumed_total", "Alerts read from the alerts topic", ["type"]
)
ALERTS_THROTTLED = Counter(
    "leadpulse_router_alerts_throttled_total",
    "Alerts not sent: the lead had one of this type within the throttle window",
    ["type"],
)
ALERTS_UNREADABLE = Counter(
    "leadpulse_router_alerts_unreadable_total",
    "Messages on the alerts topic that are not a valid Alert (logged and skipped)",
)
DELIVERED = Counter(
    "leadpulse_router_delivered_total", "Alerts a destination accepted (2xx)", ["destination"]
)
RETRIED = Counter(
    "leadpulse_router_retried_total",
    "Failed attempts that will be retried",
    ["destination", "reason"],
)
DEAD_LETTERED = Counter(
    "leadpulse_router_dead_lettered_total",
    "Alerts parked on the DLQ after the last try or a permanent failure",
    ["destination", "reason"],
)
DELIVERY_SECONDS = Histogram(
    "leadpulse_router_delivery_seconds",
    "From the first attempt to the accepting answer, per destination",
    ["destination"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
HANDLING_ERRORS = Counter(
    "leadpulse_router_handling_errors_total",
    "Unexpected errors handling an alert (Valkey or Kafka down); the alert is retried",
)
READY = Gauge(
    "leadpulse_router_ready",
    "1 when the readiness checks held at the last /readyz or scrape, else 0",
)

# CRM connectors (router.crm)
CRM_CHANGES = Counter(
    "leadpulse_router_crm_changes_total",
    "Lead changes read, by connector and what became of them",
    ["destination", "outcome"],
)
CRM_REQUESTS = Counter(
    "leadpulse_router_crm_requests_total",
    "Requests to a CRM, by connector and answer",
    ["destination", "answer"],
)
CRM_WRITTEN = Counter(
    "leadpulse_router_crm_records_written_total",
    "CRM records written (one per lead in a batch that succeeded)",
    ["destination"],
)
CRM_RATE_WAITS = Counter(
    "leadpulse_router_crm_rate_waits_total",
    "Times a CRM request waited for the portal's request budget",
    ["destination"],
)
CRM_DEAD_LETTERED = Counter(
    "leadpulse_router_crm_dead_lettered_total",
    "Lead changes parked on the CRM DLQ after the last try or a permanent failure",
    ["destination", "reason"],
)
