"""Instructions of the no-I/O pass, counted by callgrind in a subprocess.

Runs bench/scorer_logic.py under `valgrind --tool=callgrind` (Debian's valgrind) with
`--dump-before=os_getppid`: the script calls `os.getppid()` between setup, the pass and a
decoding of every message the pass applied, so callgrind writes one count per phase of the
same process. The pass's logic is its count minus the decoding's; the setup (interpreter,
imports, config, reading the records) and the exit are counted apart.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import orjson

from bench.scorer_logic import Record, dump_records

VALGRIND = "/usr/bin/valgrind"
SCRIPT = Path(__file__).resolve().parent / "scorer_logic.py"
_PART = re.compile(rb"^part: (\d+)$", re.MULTILINE)
_SUMMARY = re.compile(rb"^summary: (\d+)$", re.MULTILINE)


@dataclass(frozen=True)
class Counts:
    events: int
    messages: int
    setup: int
    passed: int  # the whole pass, its decoding included
    decoding: int
    exit: int

    @property
    def total(self) -> int:
        return self.setup + self.passed + self.decoding + self.exit

    @property
    def logic(self) -> int:
        return self.passed - self.decoding


def _parts(directory: Path) -> list[int]:
    """Instruction counts of the dumps in the order callgrind wrote them."""
    found: dict[int, int] = {}
    for path in directory.glob("callgrind.out*"):
        raw = path.read_bytes()
        part, summary = _PART.search(raw), _SUMMARY.search(raw)
        if part is None or summary is None:
            raise RuntimeError(f"no part or summary in {path}")
        found[int(part.group(1))] = int(summary.group(1))
    return [found[n] for n in sorted(found)]


def count(records: list[Record], partitions: int) -> Counts:
    """Run the pass over `records` under callgrind; the counts of its phases."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        dump_records(records, directory / "records.json")
        env = os.environ | {"PYTHONHASHSEED": "0"}
        done = subprocess.run(
            [
                VALGRIND,
                "--tool=callgrind",
                "--dump-before=os_getppid",
                f"--callgrind-out-file={directory / 'callgrind.out'}",
                sys.executable,
                str(SCRIPT),
                str(directory / "records.json"),
                "--partitions",
                str(partitions),
            ],
            capture_output=True,
            env=env,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"callgrind run failed: {done.stderr.decode()[-2000:]}")
        applied = orjson.loads(done.stdout.splitlines()[-1])
        parts = _parts(directory)
    # setup | pass | decoding | exit: three markers make four dumps
    if len(parts) != 4:
        raise RuntimeError(f"expected 4 callgrind dumps, found {len(parts)}")
    return Counts(applied["events"], applied["messages"], *parts)
