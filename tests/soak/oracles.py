"""Oracles (a) applied once, (c) alerts delivered once or dead-lettered, (d) no 5xx, and
the report whose last line sums them up.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from scorer.read import store
from tests.soak.receiver import Delivery

__all__ = ["AlertCounts", "Report", "alert_counts", "lead_counts", "timeline_counts"]

DESTINATION = "default_webhook"
# A request the router wrote just before its SIGKILL can be read by the receiver a moment
# after the kill was recorded: its 2xx reached no one, so a resend is the allowed repeat.
# No restarted router answers that fast (it stays down at least a second).
IN_FLIGHT_SECONDS = 1.0


async def lead_counts(redis: Any) -> tuple[int, int]:
    """(stored, listed): lead states in Valkey, and the leads list's total. A lost event whose
    lead is stored but not listed is a listing gap, not a lost write."""
    stored = 0
    async for _ in redis.scan_iter(match="lp:{p*}:lead:*", count=1000):
        stored += 1
    page = await store.list_leads(redis, sort="created", offset=0, limit=1)
    return stored, int(page["total"])


async def timeline_counts(redis: Any, accepted: set[str]) -> tuple[set[str], int]:
    """(lost, doubled): accepted event ids in no lead's timeline, and how many are in more
    than one entry.

    Every applied event leaves one timeline entry carrying its id (a merge carries the merged
    lead's entries over), so the read path's timelines are the user-visible proof.
    """
    found: Counter[str] = Counter()
    offset = 0
    while True:
        page = await store.list_leads(redis, sort="created", offset=offset, limit=500)
        for row in page["leads"]:
            lead = await store.get_lead(redis, row["lead_id"])
            for entry in (lead or {}).get("timeline", []):
                if entry.get("id") in accepted:
                    found[entry["id"]] += 1
        offset += 500
        if offset >= page["total"]:
            break
    lost = accepted - found.keys()
    doubled = sum(1 for n in found.values() if n > 1)
    return lost, doubled


@dataclass
class AlertCounts:
    alerts: int = 0
    delivered: int = 0
    dead_lettered: int = 0
    throttled: int = 0
    lost: int = 0
    dupes: int = 0
    excused_dupes: int = 0  # a router SIGKILL fell between the 2xx and the repeat
    unsigned: int = 0
    unknown: int = 0  # deliveries of an id the alerts topic never carried
    lost_ids: list[str] = field(default_factory=list)
    dupe_ids: list[str] = field(default_factory=list)


def alert_counts(
    alerts: list[dict[str, Any]],
    dead: list[dict[str, Any]],
    records: dict[str, dict[str, str]],
    deliveries: list[Delivery],
    router_kills: list[float],
) -> AlertCounts:
    """Every distinct alert on the topic: delivered once (2xx), dead-lettered, or throttled."""
    ids = {a["alert_id"] for a in alerts}
    parked = {d["alert"]["alert_id"] for d in dead if d.get("destination") == DESTINATION}
    accepted: dict[str, list[float]] = defaultdict(list)
    counts = AlertCounts(alerts=len(ids))
    for delivery in deliveries:
        counts.unsigned += not delivery.signed
        counts.unknown += delivery.webhook_id not in ids
        if 200 <= delivery.status < 300:
            accepted[delivery.webhook_id].append(delivery.at)
    for alert_id in sorted(ids):
        times = sorted(accepted.get(alert_id, []))
        if times:
            counts.delivered += 1
            for earlier, later in itertools.pairwise(times):
                if any(earlier - IN_FLIGHT_SECONDS <= kill <= later for kill in router_kills):
                    counts.excused_dupes += 1
                else:
                    counts.dupes += 1
                    counts.dupe_ids.append(alert_id)
        elif alert_id in parked:
            counts.dead_lettered += 1
        elif records.get(alert_id, {}).get("gate") == "throttled":
            counts.throttled += 1
        else:
            counts.lost += 1
            counts.lost_ids.append(alert_id)
    return counts


@dataclass
class Report:
    events: int
    faults: int
    lost: int
    doubled: int
    state_diff: int
    alerts: AlertCounts
    server_errors: int
    liveness_failures: int
    details: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (
            self.lost
            or self.doubled
            or self.state_diff
            or self.alerts.dupes
            or self.alerts.lost
            or self.alerts.unsigned
            or self.server_errors
            or self.liveness_failures
        )

    def summary(self) -> str:
        return (
            f"soak: {self.events} events, {self.faults} faults, lost {self.lost}, "
            f"doubled {self.doubled}, state diff {self.state_diff}, "
            f"alert dupes {self.alerts.dupes}, alerts lost {self.alerts.lost}"
        )

    def lines(self) -> list[str]:
        a = self.alerts
        return [
            f"(a) applied once: lost {self.lost}, doubled {self.doubled}",
            f"(b) live vs rescore: {self.state_diff} differences",
            f"(c) alerts: {a.alerts} distinct, {a.delivered} delivered, {a.dead_lettered} on "
            f"the DLQ, {a.throttled} throttled, lost {a.lost}, dupes {a.dupes} (+{a.excused_dupes}"
            f" after a router crash), unsigned {a.unsigned}, unknown ids {a.unknown}",
            f"(d) intake 5xx other than 503+Retry-After: {self.server_errors}",
            f"liveness: {self.liveness_failures} probes not applied within 30 s of acceptance "
            "(or of the end of a later fault they waited through)",
        ]
