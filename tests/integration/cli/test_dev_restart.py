"""`leadpulse dev` stopped and started again on the same data: it goes on scoring.

The embedded broker keeps no log across restarts while Valkey keeps the scoring state and
the offsets it applied: the second run's events must still be scored, on the old state.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from leadpulse.dev.embedded import free_port
from tests.integration.cli.test_dev import _wait_ready
from tests.process_tree import env_without_lp

pytestmark = pytest.mark.timeout(240)

UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
PEOPLE = 20


def _start(data: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = env_without_lp() | {
        "LP_HTTP_PORT": str(port),
        "LP_DATA_DIR": str(data),
        "LP_SCORER_HEALTH_PORT": str(free_port()),
        "LP_ROUTER_HEALTH_PORT": str(free_port()),
        "LP_LOG_FORMAT": "json",
    }
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "leadpulse", "dev"], env=env, stdout=out, stderr=out
        )
    base = f"http://127.0.0.1:{port}"
    _wait_ready(f"{base}/readyz", proc)
    return proc, base


def _message(kind: str, anon: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "messageId": uuid.uuid4().hex,
        "anonymousId": anon,
        "context": {"userAgent": UA},
        **fields,
    }


def _send(base: str, write_key: str, messages: list[dict[str, Any]]) -> None:
    response = httpx.post(
        f"{base}/v1/batch", json={"batch": messages}, auth=(write_key, ""), timeout=10
    )
    assert response.status_code == 200, response.text
    assert response.json()["rejected"] == [], response.text


def _until(check: Any, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {within}s waiting for {what}")


def _lead(base: str, secret: str, ref: str) -> dict[str, Any] | None:
    response = httpx.get(
        f"{base}/v1/leads/{ref}", headers={"Authorization": f"Bearer {secret}"}, timeout=5
    )
    return response.json() if response.status_code == 200 else None


def _total(base: str, secret: str) -> int:
    response = httpx.get(
        f"{base}/v1/leads",
        params={"limit": 1},
        headers={"Authorization": f"Bearer {secret}"},
        timeout=5,
    )
    return int(response.json()["total"]) if response.status_code == 200 else -1


def _settled(base: str, secret: str) -> bool:
    """The first run is applied: each person is one lead holding its three events. (The
    total alone passes early: a person's anonymous pages are a lead of their own until its
    form's claim merges them, and the dev broker starts empty again, losing a claim still
    on it.)"""
    if _total(base, secret) != PEOPLE:
        return False
    for n in range(PEOPLE):
        lead = _lead(base, secret, f"person{n}@first-run.example")
        if lead is None or len(lead["timeline"]) != 3:
            return False
    return True


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=45)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_a_restarted_dev_stack_keeps_scoring_on_its_old_state(tmp_path: Path) -> None:
    """Run, send, Ctrl-C, run again on the same LP_DATA_DIR: a visitor who identifies and
    asks for a demo becomes an MQL, and the leads of the first run are still there."""
    data, log = tmp_path / "data", tmp_path / "dev.log"
    proc, base = _start(data, log)
    try:
        keys = json.loads((data / "dev-keys.json").read_text())
        write, secret = keys["write_key"], keys["secret_key"]
        first = []
        for n in range(PEOPLE):
            email = f"person{n}@first-run.example"
            traits = {"traits": {"email": email}}
            first += [
                _message(
                    "track", f"a{n}", event="Form Submitted", context={"userAgent": UA, **traits}
                ),
                _message("page", f"a{n}", properties={"path": "/demo/blog/a"}),
                _message("page", f"a{n}", properties={"path": "/demo/blog/b"}),
            ]
        _send(base, write, first)
        _until(lambda: _settled(base, secret), 60, "the first run's leads, merged")
        _stop(proc)
        assert proc.returncode == 0

        proc, base = _start(data, log)
        email = "returning@second-run.example"
        _send(
            base,
            write,
            [
                _message("identify", "visitor-2", traits={"email": email}),
                _message(
                    "track",
                    "visitor-2",
                    event="Demo Requested",
                    context={"userAgent": UA, "traits": {"email": email}},
                ),
            ],
        )

        def mql() -> bool:
            lead = _lead(base, secret, email)
            return lead is not None and lead["stage"] == "mql"

        _until(mql, 60, "the second run's visitor to become an mql")
        assert _lead(base, secret, "person0@first-run.example") is not None
        assert _total(base, secret) == PEOPLE + 1
        lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
        assert any(line.get("event") == "partition_log_reset" for line in lines)
    finally:
        _stop(proc)
