"""Valkey's instructions per event: the batched bare consumer against the scorer.

Valkey's CPU time per event swings with the machine's load; its instruction count repeats.
Here Valkey runs under `valgrind --tool=callgrind` (Debian's valgrind), and
`callgrind_control` zeroes its counters before each consumer and dumps them after, so one
Valkey process gives one count per consumer. The scorer's count includes the 50 events of
the lead whose bytes `run_scorer` measures.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.scorer_baselines import run_batched
from bench.scorer_live import run_scorer
from bench.scorer_load import load_topics, progress
from leadpulse.dev.embedded import EmbeddedBroker, EmbeddedValkey
from leadpulse.kernel.schema import EventEnvelope

__all__ = ["ValkeyCounts", "count_valkey"]

VALGRIND = "/usr/bin/valgrind"
CONTROL = "/usr/bin/callgrind_control"
LEAD_EVENTS = 50  # the measured lead's events, applied after the drain
_SUMMARY = re.compile(rb"^summary: (\d+)$", re.MULTILINE)


@dataclass(frozen=True)
class ValkeyCounts:
    events: int
    batched: int  # Valkey's instructions under the batched bare consumer
    scorer: int  # and under the scorer

    @property
    def batched_per_event(self) -> float:
        return self.batched / self.events

    @property
    def scorer_per_event(self) -> float:
        return self.scorer / (self.events + LEAD_EVENTS)


class _CountedValkey(EmbeddedValkey):
    def __init__(self, data_dir: Path, out: Path) -> None:
        super().__init__(data_dir)
        self.out = out

    def _command(self) -> list[str]:
        return [
            VALGRIND,
            "--tool=callgrind",
            f"--callgrind-out-file={self.out}",
            *super()._command(),
        ]

    def control(self, flag: str) -> None:
        subprocess.run([CONTROL, flag, str(self.pid)], check=True, capture_output=True)


def _dumped(directory: Path) -> list[int]:
    """Instruction counts of the dumps callgrind_control asked for, in order."""
    counts = []
    for path in sorted(directory.glob("valkey.out.*"), key=lambda p: int(p.name.rsplit(".", 1)[1])):
        found = _SUMMARY.search(path.read_bytes())
        if found is None:
            raise RuntimeError(f"no summary in {path}")
        counts.append(int(found.group(1)))
    return counts


async def count_valkey(events: list[EventEnvelope]) -> ValkeyCounts:
    """Apply `events` with each consumer against one Valkey under callgrind."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        broker = EmbeddedBroker()
        valkey = _CountedValkey(directory / "valkey", directory / "valkey.out")
        broker.start()
        valkey.start(timeout=60.0)
        try:
            settings = await load_topics(broker.bootstrap, valkey.url, events)
            progress("valkey under callgrind: the batched bare consumer")
            valkey.control("--zero")
            await run_batched(settings, "bench.bare", len(events))
            valkey.control("--dump")
            progress("valkey under callgrind: the scorer")
            valkey.control("--zero")
            await run_scorer(settings, len(events))
            valkey.control("--dump")
        finally:
            valkey.stop(timeout=60.0)
            broker.stop()
        batched, scorer = _dumped(directory)[:2]
    return ValkeyCounts(len(events), batched, scorer)
