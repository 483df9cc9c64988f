"""What bench/scorer.py prints: every figure as absolute numbers, then the ratios."""

from __future__ import annotations

import argparse
import os
import statistics
from dataclasses import dataclass, field

from bench.scorer_callgrind import Counts
from bench.scorer_live import ScorerRun
from bench.scorer_logic import PassResult
from bench.scorer_procs import ProcessRun
from bench.scorer_valkey import ValkeyCounts
from scorer.core.steps import STEPS_KEPT

# The long-lived leads the pass is also counted over: each as many events as steps it keeps.
LONG_LEADS = 25
LONG_EVENTS = STEPS_KEPT


@dataclass
class Figures:
    events: int = 0
    load_start: float = field(default_factory=lambda: os.getloadavg()[0])
    scorer: ScorerRun | None = None
    bare: list[float] = field(default_factory=list)  # events/s of each run
    batched: list[float] = field(default_factory=list)
    rescore: tuple[float, int] = (0.0, 0)  # seconds, events applied
    logic: PassResult | None = None
    decoding: float = 0.0  # seconds of the pass spent decoding
    subset: PassResult | None = None  # the pass over the journeys callgrind counts
    subset_decoding: float = 0.0
    counts: Counts | None = None
    long_counts: Counts | None = None  # the same, over a few leads with many events each
    valkey: ValkeyCounts | None = None  # Valkey's instructions under each consumer
    process_events: int = 0
    processes: list[ProcessRun] = field(default_factory=list)


def _runs(rates: list[float]) -> str:
    return f"median of {', '.join(f'{r:,.0f}' for r in sorted(rates))}"


def _logic(f: Figures, scorer_rate: float, batched: float) -> None:
    logic = f.logic
    if logic is None:
        return
    controls = logic.messages - logic.events
    kinds = ", ".join(f"{kind} {n:,}" for kind, n in sorted(logic.controls.items()))
    forwarded = logic.outcomes["forwarded"]
    print()
    print("logic only, no I/O (every message the pass sends applied on its key's partition):")
    print(
        f"  messages applied:      {logic.messages:,} = {logic.events:,} events"
        f" + {controls:,} the pass sent itself ({controls / logic.messages:.1%}:"
        f" {kinds}; forwarded events {forwarded:,})"
    )
    if f.scorer is not None:
        live = f.scorer.messages - f.events
        print(f"  the live scorer's own: {live:,} messages on the same events")
    per_event = logic.seconds / logic.events * 1e6
    print(
        f"  time:                  {logic.seconds:.2f} s: {per_event:.1f} us per event"
        f" ({logic.seconds / logic.messages * 1e6:.1f} us per message),"
        f" of which decoding {f.decoding / logic.events * 1e6:.1f} us"
    )
    print(
        f"  sent to Valkey:        {logic.bytes_sent / logic.events:,.0f} bytes per event"
        " (the apply.lua calls' keys and arguments; goal <= 600)"
    )
    ceiling = logic.events / logic.seconds
    print(
        f"  ceiling:               {ceiling:,.0f} events/s for one process:"
        f" {ceiling / batched:.2f} of the batched bare; the scorer reaches"
        f" {scorer_rate / ceiling:.2f} of it"
    )
    counts, subset = f.counts, f.subset
    if counts is None or subset is None:
        return
    us = subset.seconds / subset.events * 1e6
    dec = f.subset_decoding / subset.events * 1e6
    print(
        f"  callgrind, {counts.events:,} events ({counts.messages:,} messages), one process:"
        f" {counts.total / 1e6:,.0f} M instructions = setup {counts.setup / 1e6:,.0f} M"
        f" + pass {counts.passed / 1e6:,.0f} M + decoding alone {counts.decoding / 1e6:,.0f} M"
        f" + exit {counts.exit / 1e6:,.0f} M"
    )
    print(
        f"  per event:             {counts.passed / counts.events / 1e3:,.0f} k instructions"
        f" for the pass ({us:.1f} us on the same events here), of which logic after decoding"
        f" {counts.logic / counts.events / 1e3:,.0f} k, decoding"
        f" {counts.decoding / counts.events / 1e3:,.0f} k ({dec:.1f} us)"
    )
    long = f.long_counts
    if long is not None:
        print(
            f"  long-lived leads:      {long.passed / long.events / 1e3:,.0f} k instructions per"
            f" event for the pass over {long.events:,} events of leads with"
            f" {long.events // LONG_LEADS:,} events each (a lead's cost per event must not"
            " grow with its history)"
        )


def _valkey(f: Figures) -> None:
    counts = f.valkey
    if counts is None:
        return
    scorer, batched = counts.scorer_per_event, counts.batched_per_event
    print(
        f"  Valkey under callgrind, {counts.events:,} events: {scorer / 1e3:,.0f} k"
        f" instructions per event under the scorer, {batched / 1e3:,.1f} k under the batched"
        f" bare consumer ({scorer / batched:.1f}x)"
    )


def _processes(f: Figures) -> None:
    if not f.processes:
        return
    print()
    print(
        f"`leadpulse scorer` processes on a preloaded topic ({f.process_events:,} events;"
        " each run its own topic, group and Valkey database):"
    )
    for run in f.processes:
        print(
            f"  {run.processes} process(es): {run.messages:,} messages applied"
            f" {run.done_after:.1f} s after spawn ({f.process_events / run.done_after:,.0f}"
            f" events/s); all held partitions after {run.ready_after:.1f} s,"
            f" {run.applied_when_ready:,} applied by then; then {run.window_rate:,.0f}"
            f" messages/s for {run.window:.1f} s, using"
            f" {run.cpu_seconds / max(run.window, 1e-9):.2f} cores"
        )
    if len(f.processes) == 2:
        one, two = f.processes
        print(
            f"  two against one:       {one.done_after / two.done_after:.2f}x from spawn,"
            f" {two.window_rate / max(one.window_rate, 1e-9):.2f}x once all hold partitions"
            " (goal >= 1.6x)"
        )


def report(f: Figures, args: argparse.Namespace) -> None:
    scorer = f.scorer
    assert scorer is not None
    bare, batched = statistics.median(f.bare), statistics.median(f.batched)
    rate = f.events / scorer.seconds
    own = scorer.messages - f.events
    print(f"events: {f.events:,} ({args.leads:,} leads x {args.events_per_lead})")
    print(
        f"machine: {os.cpu_count()} cores, load average {f.load_start:.1f} at the start,"
        f" {os.getloadavg()[0]:.1f} at the end"
    )
    print()
    print("throughput, from partition assignment until everything is applied:")
    print(f"  bare, a Lua call per event:       {bare:,.0f} events/s ({_runs(f.bare)})")
    print(f"  batched bare, a Lua call per run: {batched:,.0f} events/s ({_runs(f.batched)})")
    print(
        f"  scorer:                           {rate:,.0f} events/s"
        f" ({scorer.messages:,} messages: {own:,} of its own)"
    )
    seconds, applied = f.rescore
    print(
        f"  rescore, fresh Valkey database:   {applied / seconds:,.0f} events/s"
        f" ({applied:,} events in {seconds:.1f} s)"
    )
    print(f"  ratio scorer/bare:                {rate / bare:.3f}")
    print(f"  ratio scorer/batched bare:        {rate / batched:.3f}")
    print(f"  ratio batched bare/bare:          {batched / bare:.2f}")
    print(f"  ratio rescore/scorer:             {applied / seconds / rate:.2f}")
    print(
        f"  Valkey CPU under the scorer:      {scorer.valkey_cpu / f.events * 1e6:.1f} us"
        " per event (INFO cpu, user + system; goal <= 15)"
    )
    print(
        f"  per event:                        bare {1e6 / bare:.1f} us, batched bare"
        f" {1e6 / batched:.1f} us, scorer {1e6 / rate:.1f} us"
    )
    _logic(f, rate, batched)
    _valkey(f)
    _processes(f)
    print()
    print(f"Valkey bytes for a lead with 50 events: {scorer.lead_bytes:,}")
