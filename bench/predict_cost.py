"""What the predictive score costs the scorer's own work: the same events, with and without.

    python bench/predict_cost.py [--leads 500] [--events-per-lead 10] [--mode live] [--repeat 5]

Applies bench/scorer_load.py's journeys (decode, apply, flush per run of RUN_MAX, script
arguments; no I/O, no control messages fed back: bench/scorer_logic.py does that), as
`scorer.runtime.batch` applies them (each message's decision includes the time it passes).
`--mode off`: no model; `live`: a live model over the features the trainer learns (every
prediction computed); `none`: the events are built and encoded but not applied (the fixed
cost, to subtract).
Prints seconds and µs per event, best of `--repeat`. For instruction counts, run each mode
under `valgrind --tool=callgrind --callgrind-out-file=/dev/null` with `--repeat 1` and
compare the totals it prints: `live` - `off` is the prediction's, `off` - `none` the
scorer's.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.scorer_load import journey  # noqa: E402
from leadpulse.kernel.config import load_config  # noqa: E402
from leadpulse.kernel.schema import encode  # noqa: E402
from scorer.core.config import Rules  # noqa: E402
from scorer.core.conversion.live import live_models  # noqa: E402
from scorer.core.conversion.weights import LinearModel  # noqa: E402
from scorer.handlers.dispatch import apply_message, end_run  # noqa: E402
from scorer.runtime.batch import RUN_MAX  # noqa: E402
from scorer.runtime.consumer import decode_message  # noqa: E402
from scorer.storage.keys import PartitionKeys  # noqa: E402
from scorer.storage.view import PartitionView  # noqa: E402
from scorer.storage.writes import WriteSet  # noqa: E402

PARTITIONS = 6


def _model() -> LinearModel:
    """A model the size of a trained one: a weight on every feature value the journeys hit."""
    rng = random.Random(3)
    kinds = ["engagement", "pages", "engaging", "nurturing", "velocity7d", "age", "fit", "rule"]
    weights = {f"{k}:{v}": rng.uniform(-1, 1) for k in kinds for v in range(40)}
    return LinearModel(
        name="default",
        version=1,
        kind="ftrl",
        intercept=-1.0,
        weights=weights,
        examples=1000,
        positives=300,
    )


def run(leads: int, per_lead: int, mode: str) -> float:
    config = load_config()
    rules = Rules.from_config(config.scoring, predict=config.predict)
    live_models().live = _model() if mode == "live" else None
    rng = random.Random(42)
    events = sorted(
        (e for n in range(leads) for e in journey(n, per_lead, rng)), key=lambda e: e.timestamp
    )
    by_partition: dict[int, list[tuple[bytes, bytes]]] = {p: [] for p in range(PARTITIONS)}
    for e in events:
        by_partition[hash(e.key) % PARTITIONS].append((e.key.encode(), encode(e)))
    if mode == "none":
        return 0.0
    start = time.perf_counter()
    for partition, records in by_partition.items():
        view = PartitionView(PartitionKeys(partition), -1)
        for first in range(0, len(records), RUN_MAX):
            ws = WriteSet(view.pk)
            for offset, (key, value) in enumerate(records[first : first + RUN_MAX], first):
                name, event = decode_message(key, value)
                apply_message(view, rules, name, offset, event, ws)
            end_run(ws, view, rules)
            ws.script_args(first - 1, rules.dedupe_window)
            view.outbound.clear()
    return time.perf_counter() - start


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=500)
    parser.add_argument("--events-per-lead", type=int, default=10)
    parser.add_argument("--mode", choices=["none", "off", "live"], default="live")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    events = args.leads * args.events_per_lead
    best = min(run(args.leads, args.events_per_lead, args.mode) for _ in range(args.repeat))
    print(f"{args.mode}: {events:,} events, best {best:.3f} s, {best / events * 1e6:.1f} us/event")
