"""The short soak: the whole pipeline as processes, 40 s of journeys at 150 events/s while
scorers, router, ingest and Valkey are SIGKILLed, the broker is cut off, the spool's disk
fills up and the webhook receiver fails every way it can; then every oracle must read 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.soak.harness import Options, run_soak

pytestmark = pytest.mark.timeout(170)


async def test_every_guarantee_holds_under_chaos(tmp_path: Path) -> None:
    """Nothing accepted is lost or doubled, state equals a rescore, alerts go once, no 5xx."""
    # Eight intake requests in flight, as a fleet of clients: a person's events reach ingest
    # out of order around merges, and the state must still equal the rescore.
    report = await run_soak(
        Options(tmp_path / "soak", seconds=40, rate=150, seed=11, drain_seconds=25, in_flight=8)
    )
    assert report.events > 5000
    assert report.faults >= 10
    assert report.lost == 0, report.summary()
    assert report.doubled == 0, report.summary()
    assert report.alerts.lost == 0, report.alerts.lost_ids[:10]
    assert report.alerts.dupes == 0, report.summary()
    assert report.alerts.unsigned == 0
    assert report.server_errors == 0
    assert report.liveness_failures == 0
    assert report.state_diff == 0, "\n".join(report.details[:20])
