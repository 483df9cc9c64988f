"""Benchmark the scorer against two bare consumers on the same broker and Valkey, in one run.

    python bench/scorer.py [--leads 3000] [--events-per-lead 10] [--bare-runs 3]
        [--process-leads 3000] [--no-processes] [--callgrind] [--callgrind-leads 500]

Starts its own Tansu broker and Valkey and writes the same realistic journeys (anonymous
pages, an identify joining the browser to an email, which usually lives on another
partition: a claim and a merge; email clicks, downloads, demo requests, account touches),
interleaved in event-time order as live traffic arrives, to its topics. Then, in one run:

1. Throughput, events/s from partition assignment until every event (and every message
   the scorer sent itself because of it) is applied, for:
   - bare: a consumer running a minimal Lua update per event (HINCRBY + offset SET),
     pipelined per batch, committing per batch;
   - batched bare: a consumer that writes the way the scorer does, one Lua call per run of
     up to RUN_MAX messages of a partition (one small value per event and the partition's
     offset in the same call), committing per batch: the floor of consume-and-commit;
   - scorer: the real consumer loop (decode, identity, rules, stages, funnel, one apply.lua
     call per run with its effects coalesced per key, outbox publish, offset commit).
   Each bare consumer runs `--bare-runs` times around the scorer and counts by its median.
   The scorer's ratio to each baseline is printed.
2. `leadpulse rescore` (`scorer.rescore`) over the same topic into a fresh Valkey database.
3. The logic alone, no I/O (bench/scorer_logic.py): the events and every message the pass
   itself sends (claims, merges, account touches, forwards), each applied on the partition
   its key goes to; µs per event, the share of control messages, and decoding's part.
   With `--callgrind`, the pass over `--callgrind-leads` journeys again under callgrind in
   a subprocess (bench/scorer_callgrind.py): instructions per event beside µs; and Valkey
   under callgrind while the batched bare consumer, then the scorer, apply those journeys
   (bench/scorer_valkey.py): Valkey's instructions per event for each, and their ratio.
   Then the pass over a few long-lived leads (LONG_LEADS of LONG_EVENTS events each, as
   many steps as a lead keeps): what an event costs once a lead has a long history.
4. `leadpulse scorer` processes on a preloaded topic (bench/scorer_procs.py), one then two:
   seconds until every message is applied, from spawn and once all hold partitions, the
   cores the scorers used meanwhile (/proc), and the ratio (the issue's goal: two processes
   at least 1.6x one).
5. The Valkey bytes of one lead with 50 events (MEMORY USAGE summed over its keys, plus its
   share of the partition hashes and list index sets it appears in).

Progress goes to stderr, the figures to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.scorer_baselines import run_bare, run_batched  # noqa: E402
from bench.scorer_live import run_rescore, run_scorer  # noqa: E402
from bench.scorer_load import journeys, load_topics, progress  # noqa: E402
from bench.scorer_logic import Record, decode_only, logic_pass, scorer_rules  # noqa: E402
from bench.scorer_procs import db_url, run_processes  # noqa: E402
from bench.scorer_report import LONG_EVENTS, LONG_LEADS, Figures, report  # noqa: E402
from bench.scorer_valkey import count_valkey  # noqa: E402
from leadpulse.dev.embedded import EmbeddedBroker, EmbeddedValkey  # noqa: E402
from leadpulse.kernel.logs import configure_logging  # noqa: E402
from leadpulse.kernel.schema import EventEnvelope, encode  # noqa: E402
from leadpulse.kernel.settings import Settings  # noqa: E402


def records_of(events: list[EventEnvelope]) -> list[Record]:
    return [(e.key.encode(), encode(e)) for e in events]


async def _throughput(
    settings: Settings, events: list[EventEnvelope], runs: int, f: Figures
) -> None:
    """The bare consumers around the scorer: about half their runs before it, half after."""
    n = len(events)
    for i in range(runs + 1):
        if i == (runs + 1) // 2:
            progress("scorer: starting")
            f.scorer = await run_scorer(settings, n)
            progress(f"scorer: {n / f.scorer.seconds:,.0f} events/s")
            continue
        f.bare.append(n / await run_bare(settings, "bench.bare", n))
        f.batched.append(n / await run_batched(settings, "bench.bare", n))
        progress(f"bare: {f.bare[-1]:,.0f} events/s, batched bare: {f.batched[-1]:,.0f}")


async def measure(args: argparse.Namespace, f: Figures, tmp: Path) -> None:
    events = journeys(args.leads, args.events_per_lead)
    f.events = len(events)
    broker, valkey = EmbeddedBroker(), EmbeddedValkey(tmp / "valkey")
    broker.start()
    valkey.start()
    try:
        settings = await load_topics(broker.bootstrap, valkey.url, events)
        await _throughput(settings, events, args.bare_runs, f)
        progress("rescore: starting, into Valkey database 1")
        f.rescore = await run_rescore(
            settings.model_copy(update={"redis_url": db_url(settings, 1)})
        )
        progress(f"rescore: {f.rescore[1] / f.rescore[0]:,.0f} events/s")
        _logic(args, events, f)
        if args.callgrind:
            f.valkey = await count_valkey(journeys(args.callgrind_leads, args.events_per_lead))
        if args.processes:
            loaded = journeys(args.process_leads, args.events_per_lead, seed=43)
            f.process_events = len(loaded)
            for count, db in ((1, 2), (2, 3)):
                progress(f"{count} scorer process(es) on a preloaded topic: starting")
                f.processes.append(await run_processes(settings, loaded, count, db, tmp))
    finally:
        valkey.stop()
        broker.stop()


def _logic(args: argparse.Namespace, events: list[EventEnvelope], f: Figures) -> None:
    progress("logic only (no I/O): starting")
    f.logic = logic_pass(records_of(events), 6, scorer_rules())
    f.decoding = decode_only(f.logic.applied)
    progress(f"logic only: {f.logic.seconds / f.logic.events * 1e6:,.1f} us per event")
    f.logic.bytes_sent = logic_pass(records_of(events), 6, scorer_rules(), sizes=True).bytes_sent
    if not args.callgrind:
        return
    from bench.scorer_callgrind import count

    subset = records_of(journeys(args.callgrind_leads, args.events_per_lead))
    f.subset = logic_pass(subset, 6, scorer_rules())
    f.subset_decoding = decode_only(f.subset.applied)
    progress(f"callgrind: the pass over {len(subset):,} events, in a subprocess")
    f.counts = count(subset, 6)
    progress(f"callgrind: {f.counts.total / 1e6:,.0f} M instructions in all")
    long = records_of(journeys(LONG_LEADS, LONG_EVENTS))
    progress(f"callgrind: the pass over {LONG_LEADS} leads of {LONG_EVENTS} events each")
    f.long_counts = count(long, 6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=3000)
    parser.add_argument("--events-per-lead", type=int, default=10)
    parser.add_argument("--bare-runs", type=int, default=3, help="runs of each bare consumer")
    parser.add_argument("--process-leads", type=int, default=3000, help="journeys preloaded")
    parser.add_argument("--no-processes", dest="processes", action="store_false")
    parser.add_argument("--callgrind", action="store_true", help="count the pass's instructions")
    parser.add_argument("--callgrind-leads", type=int, default=500)
    args = parser.parse_args()
    configure_logging("console", "warning")
    figures = Figures()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(measure(args, figures, Path(tmp)))
    report(figures, args)


if __name__ == "__main__":
    main()
