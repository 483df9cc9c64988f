"""`python -m tests.soak --minutes 10 --rate 300 --seed 7 [--no-faults] [--drift]`.

Exits 1 when any oracle fails; the last line printed sums the run up.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
from pathlib import Path

from tests.soak.harness import Options, run_soak


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=300, help="events per second")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-faults", dest="faults", action="store_false")
    parser.add_argument("--drift", action="store_true", help="sample RSS, lag, Valkey memory")
    parser.add_argument("--dir", type=Path, help="where logs stay (default: a temp dir)")
    parser.add_argument(
        "--keep-data", action="store_true", help="leave Valkey's files and the spool in --dir"
    )
    parser.add_argument(
        "--in-flight", type=int, default=8, help="intake requests open at once (default 8)"
    )
    parser.add_argument(
        "--logins",
        action="store_true",
        help="a third of the people who reach sales log in with a user id first",
    )
    parser.add_argument(
        "--lead-cache",
        type=int,
        help="leads each scorer keeps in memory (a small cap shows the memory plateau sooner)",
    )
    args = parser.parse_args()
    # The harness's own Kafka clients complain through every broker cut it causes itself.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    root = args.dir or Path(tempfile.mkdtemp(prefix="leadpulse-soak-"))
    print(f"soak: logs under {root}", flush=True)
    options = Options(
        root,
        args.minutes * 60,
        args.rate,
        args.seed,
        args.faults,
        args.drift,
        drain_seconds=max(90.0, args.minutes * 30),
        keep_data=args.keep_data,
        in_flight=args.in_flight,
        logins=args.logins,
        lead_cache=args.lead_cache,
    )
    report = asyncio.run(run_soak(options))
    return 0 if report.clean else 1


if __name__ == "__main__":
    raise SystemExit(main())
