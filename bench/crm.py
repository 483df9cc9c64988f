"""CRM writes against HubSpot's rate limit: 10,000 lead changes -> records written per
second, requests per window against the limit, and the write amplification (records
written per lead change).

    .venv/bin/python bench/crm.py [--changes 10000] [--limit 100] [--window 10]

Starts the embedded broker and Valkey, the local HubSpot (`tests/vendors/hubspot_api.py`,
which answers 429 past its limit like HubSpot does) and the router in this process, puts
the lead changes on the topic in one burst, and waits until HubSpot holds every lead's
last change. The end-to-end time includes the router's consumer group joining (seconds on
the embedded broker); the write phase is from the first batch request to the last. Two
loads: every change a different lead (nothing to coalesce), and bursts of 5 changes per
lead (what a lead reading several pages in a row makes). At 100 inputs a request the
sustained ceiling is limit x 100 / window records/s (1,000/s at HubSpot's 100 per 10 s);
a short run also spends the first window's burst.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiokafka import AIOKafkaProducer  # noqa: E402
from pydantic import SecretStr  # noqa: E402

from leadpulse.dev.embedded import EmbeddedBroker, EmbeddedValkey, free_port  # noqa: E402
from leadpulse.kernel.config import load_config  # noqa: E402
from leadpulse.kernel.config.connectors import CrmConfig, HubSpotConfig  # noqa: E402
from leadpulse.kernel.config.routing import Destination  # noqa: E402
from leadpulse.kernel.kafka import ensure_topics, producer_options  # noqa: E402
from leadpulse.kernel.lead_change import LeadChange, Reason  # noqa: E402
from leadpulse.kernel.logs import configure_logging  # noqa: E402
from leadpulse.kernel.schema import encode  # noqa: E402
from leadpulse.kernel.settings import Settings  # noqa: E402
from router import run as run_router  # noqa: E402
from tests.vendors.hubspot_api import HubSpotServer  # noqa: E402


def _changes(count: int, per_lead: int) -> list[LeadChange]:
    leads = [f"ld_{uuid.uuid4().hex[:12]}" for _ in range(max(1, count // per_lead))]
    out = [
        LeadChange(
            change_id=f"lc_{lead}_{seq}",
            lead_id=lead,
            seq=seq,
            at=datetime.now(UTC),
            causes=["score"],
            email=f"{lead}@bench.example",
            stage="lead",
            score=10.0 * seq,
            engagement=10.0 * seq,
            top_reasons=[Reason(rule="page_view", points=10.0 * seq)],
        )
        for seq in range(per_lead)
        for lead in leads
    ]
    return out[:count]


async def _load(
    broker: EmbeddedBroker, valkey_url: str, data: Path, args: argparse.Namespace, per_lead: int
) -> dict[str, float]:
    suffix = uuid.uuid4().hex[:8]
    async with HubSpotServer(limit=args.limit, window_seconds=args.window) as hubspot:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            kafka_bootstrap=broker.bootstrap,
            kafka_partitions=6,
            redis_url=valkey_url,
            topic_events=f"b{suffix}.events",
            topic_alerts=f"b{suffix}.alerts",
            topic_dlq=f"b{suffix}.dlq",
            topic_lead_changes=f"b{suffix}.changes",
            topic_crm_dlq=f"b{suffix}.crm-dlq",
            router_group=f"b{suffix}.router",
            router_health_port=free_port(),
            data_dir=data,
            hubspot_token=SecretStr(hubspot.token),
            hubspot_base_url=hubspot.url,
        )
        base = load_config()
        config = base.model_copy(
            update={
                "routing": base.routing.model_copy(
                    update={"destinations": [Destination(name="hubspot", type="hubspot")]}
                ),
                "crm": CrmConfig(
                    hubspot=HubSpotConfig(
                        requests_per_window=args.limit,
                        window_seconds=args.window,
                        linger_seconds=0.5,
                    )
                ),
            }
        )
        changes = _changes(args.changes, per_lead)
        last = {c.lead_id: c.change_id for c in changes}
        await ensure_topics(settings)
        stop = asyncio.Event()
        router = asyncio.create_task(run_router(settings, config, stop))
        # Let the router prepare the portal first: the clock measures writes only.
        while len(hubspot.properties) < 16:  # noqa: ASYNC110 - another task's progress
            await asyncio.sleep(0.05)
        started = time.monotonic()
        producer = AIOKafkaProducer(**producer_options(settings, linger_ms=5))
        await producer.start()
        futures = [
            await producer.send(settings.topics.lead_changes, encode(c), key=c.lead_id.encode())
            for c in changes
        ]
        await asyncio.gather(*futures)
        await producer.stop()
        emails = {lead: f"{lead}@bench.example" for lead in last}
        while any(
            hubspot.contacts.get(emails[lead], {}).get("leadpulse_change_id") != cid
            for lead, cid in last.items()
        ):
            if router.done():
                router.result()
            await asyncio.sleep(0.1)
        elapsed = time.monotonic() - started
        stop.set()
        await router
        upserts = [s for s in hubspot.upserts() if s.status == 200]
        writing = max(upserts[-1].at - upserts[0].at, 1e-9)
        repeated = sum(
            n - 1
            for n in Counter(
                (a.email, a.properties["leadpulse_change_id"]) for a in hubspot.applied
            ).values()
        )
        return {
            "changes": len(changes),
            "leads": len(last),
            "seconds": elapsed,
            "writing": writing,
            "records": len(hubspot.applied),
            "requests": len(upserts),
            "refused_429": len(hubspot.rate_limited()),
            "max_in_window": hubspot.max_in_window(),
            "repeated": repeated,
        }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--limit", type=int, default=100, help="requests per window")
    parser.add_argument("--window", type=float, default=10.0, help="window, seconds")
    args = parser.parse_args()
    configure_logging("console", "warning")
    with tempfile.TemporaryDirectory() as tmp:
        broker = EmbeddedBroker()
        valkey = EmbeddedValkey(Path(tmp) / "valkey")
        broker.start()
        valkey.start()
        try:
            print(f"limit: {args.limit} requests per {args.window:g} s (HubSpot Free/Starter)")
            for per_lead in (1, 5):
                r = await _load(broker, valkey.url, Path(tmp) / "data", args, per_lead)
                print(
                    f"{r['changes']:,.0f} changes to {r['leads']:,.0f} leads: "
                    f"{r['records'] / r['seconds']:,.0f} records/s in {r['seconds']:.1f} s "
                    f"({r['records'] / r['writing']:,.0f}/s from first write to last); "
                    f"{r['requests']:.0f} batch requests, "
                    f"{r['requests'] / r['seconds'] * args.window:.0f} per window "
                    f"(max in any window {r['max_in_window']:.0f}, limit {args.limit}); "
                    f"429s {r['refused_429']:.0f}; "
                    f"records per change {r['records'] / r['changes']:.3f}; "
                    f"applied twice {r['repeated']:.0f}"
                )
        finally:
            valkey.stop()
            broker.stop()


if __name__ == "__main__":
    asyncio.run(main())
