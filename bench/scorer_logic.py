"""The scorer's own Python work with no I/O at all, control messages included.

`logic_pass` applies the events the way `scorer.runtime.batch` does (per partition, runs of
RUN_MAX: `apply_message`, the run's `end_run` and its script
arguments), partition after partition in rounds of one `getmany()` batch (1,000 messages
shared out). Every message a run owes the events topic (claims, merges, account touches,
forwarded events) is appended to the partition Kafka's default partitioner gives its key,
as the outbox would publish it, and applied in a later round; the pass ends when no queue
holds anything. So the pass applies what a real scorer consumes on a preloaded topic.

Run as a script (`python bench/scorer_logic.py RECORDS.json`), it is the process
bench/scorer.py runs under callgrind: setup, then the pass, then decoding alone of every
message the pass applied, with `os.getppid()` between them as the marker callgrind dumps
its counts before (`--dump-before=os_getppid`); it prints what it applied as JSON.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# First even when PYTHONPATH names ROOT already: run as a script, sys.path[0] is bench/,
# where bench/scorer.py would shadow the scorer package.
sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402
from aiokafka.partitioner import murmur2  # noqa: E402

from leadpulse.kernel.config import load_config  # noqa: E402
from scorer.core.config import Rules  # noqa: E402
from scorer.handlers.dispatch import apply_message, end_run  # noqa: E402
from scorer.runtime.batch import RUN_MAX  # noqa: E402
from scorer.runtime.consumer import decode_message  # noqa: E402
from scorer.runtime.service import settle_heap  # noqa: E402
from scorer.storage.keys import PartitionKeys  # noqa: E402
from scorer.storage.view import PartitionView  # noqa: E402
from scorer.storage.writes import WriteSet  # noqa: E402

BATCH = 1000  # records of one getmany() in the scorer's loop
Record = tuple[bytes, bytes]


def scorer_rules() -> Rules:
    """The rules the scorer process builds (`scorer.runtime.service`)."""
    config = load_config()
    return Rules.from_config(
        config.scoring, crm_score_step=config.crm_score_step, predict=config.predict
    )


def partition_of(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner (aiokafka's, Java's) gives a key."""
    return int(murmur2(key) & 0x7FFFFFFF) % partitions


@dataclass
class PassResult:
    events: int
    seconds: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)
    # control messages applied, by envelope type (claim, merge, account, ...)
    controls: Counter[str] = field(default_factory=Counter)
    # bytes of the apply.lua calls' KEYS and ARGV: what the scorer sends Valkey to write
    bytes_sent: int = 0
    applied: list[Record] = field(default_factory=list)
    # the partitions as the pass left them (their leads in memory)
    views: dict[int, PartitionView] = field(default_factory=dict)

    @property
    def messages(self) -> int:
        return len(self.applied)


def apply_run(
    view: PartitionView, rules: Rules, run: list[Record], first: int, sizes: bool
) -> tuple[Counter[str], int]:
    """One run as `scorer.runtime.batch` applies it (the only place that calls the scorer):
    its outcomes, and with `sizes` the bytes of its apply.lua call (else 0)."""
    outcomes: Counter[str] = Counter()
    ws = WriteSet(view.pk)
    for offset, (key, value) in enumerate(run, first):
        name, event = decode_message(key, value)
        _, outcome = apply_message(view, rules, name, offset, event, ws)
        outcomes[outcome] += 1
        if outcome == "control" and event is not None:
            outcomes[f"control:{event.type}"] += 1
    end_run(ws, view, rules)
    keys, args = ws.script_args(first - 1, rules.dedupe_window)
    return outcomes, sum(map(_size, keys)) + sum(map(_size, args)) if sizes else 0


def _size(arg: str | bytes | int | float) -> int:
    if isinstance(arg, str):
        return len(arg.encode())
    return len(arg) if isinstance(arg, bytes) else len(repr(arg))


def route(records: list[Record], partitions: int) -> dict[int, deque[Record]]:
    """The records on their partitions, as the producer that wrote them placed them."""
    queues: dict[int, deque[Record]] = {p: deque() for p in range(partitions)}
    for record in records:
        queues[partition_of(record[0], partitions)].append(record)
    return queues


def logic_pass(
    records: list[Record],
    partitions: int,
    rules: Rules,
    sizes: bool = False,
    routed: dict[int, deque[Record]] | None = None,
) -> PassResult:
    """Apply `records` (the events, in topic order) and every message they cause; with
    `sizes`, add up the bytes each run sends Valkey (which takes time of its own). `routed`
    is `route(records, partitions)` when the caller placed them already."""
    result = PassResult(events=len(records))
    queues = routed if routed is not None else route(records, partitions)
    views = result.views = {p: PartitionView(PartitionKeys(p), -1) for p in range(partitions)}
    next_offset = dict.fromkeys(range(partitions), 0)
    share = max(1, BATCH // partitions)
    settle_heap()
    start = time.perf_counter()
    while any(queues.values()):
        for p, queue in queues.items():
            taken = [queue.popleft() for _ in range(min(share, len(queue)))]
            view = views[p]
            for first in range(0, len(taken), RUN_MAX):
                run = taken[first : first + RUN_MAX]
                outcomes, sent = apply_run(view, rules, run, next_offset[p], sizes)
                result.outcomes += outcomes
                result.bytes_sent += sent
                next_offset[p] += len(run)
            result.applied += taken
            for message in view.outbound:
                if message.topic == "events":
                    key = message.key.encode()
                    queues[partition_of(key, partitions)].append((key, message.value))
            view.outbound.clear()
    result.seconds = time.perf_counter() - start
    for outcome, n in list(result.outcomes.items()):
        if outcome.startswith("control:"):
            result.controls[outcome.partition(":")[2]] = n
            del result.outcomes[outcome]
    return result


def decode_only(applied: list[Record]) -> float:
    """Seconds to decode every message the pass applied: its share of the pass."""
    start = time.perf_counter()
    for key, value in applied:
        decode_message(key, value)
    return time.perf_counter() - start


def dump_records(records: list[Record], path: Path) -> None:
    path.write_bytes(orjson.dumps([[k.decode(), v.decode()] for k, v in records]))


def load_records(path: Path) -> list[Record]:
    return [(k.encode(), v.encode()) for k, v in orjson.loads(path.read_bytes())]


def _marked(records: list[Record], partitions: int) -> dict[str, object]:
    rules = scorer_rules()
    routed = route(records, partitions)  # the producer's work, not the scorer's
    os.getppid()  # marker: setup above
    result = logic_pass(records, partitions, rules, routed=routed)
    os.getppid()  # marker: the pass above
    decode_only(result.applied)
    os.getppid()  # marker: decoding alone above
    return {"events": result.events, "messages": result.messages}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The no-I/O pass, for callgrind")
    parser.add_argument("records", type=Path)
    parser.add_argument("--partitions", type=int, default=6)
    args = parser.parse_args()
    print(orjson.dumps(_marked(load_records(args.records), args.partitions)).decode())
