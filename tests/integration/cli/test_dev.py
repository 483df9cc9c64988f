"""`leadpulse dev`: the whole embedded stack comes up, answers, and leaves nothing behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from leadpulse.dev.embedded import free_port
from tests.process_tree import alive, descendants, env_without_lp

pytestmark = pytest.mark.timeout(120)


def _wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"leadpulse dev exited early with {proc.returncode}"
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} never answered 200")


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    port = free_port()
    env = env_without_lp() | {
        "LP_HTTP_PORT": str(port),
        "LP_DATA_DIR": str(tmp_path / "data"),
        "LP_SCORER_HEALTH_PORT": str(free_port()),
        "LP_ROUTER_HEALTH_PORT": str(free_port()),
        "LP_LOG_FORMAT": "json",
    }
    log = (tmp_path / "dev.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "leadpulse", "dev"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(f"{base}/readyz", proc)
        yield proc, base, tmp_path
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()


def test_dev_is_ready_and_prints_urls_and_generated_keys(
    dev: tuple[subprocess.Popen[bytes], str, Path],
) -> None:
    """/readyz is 200 once broker and Valkey answer; the banner names URLs and new keys."""
    _, base, tmp_path = dev
    assert httpx.get(f"{base}/readyz").status_code == 200
    keys = json.loads((tmp_path / "data" / "dev-keys.json").read_text())
    assert keys["secret_key"].startswith("sk_") and keys["webhook_secret"].startswith("whsec_")
    assert oct((tmp_path / "data" / "dev-keys.json").stat().st_mode & 0o777) == "0o600"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        output = (tmp_path / "dev.log").read_text(errors="replace")
        if "LeadPulse is running" in output:
            break
        time.sleep(0.1)
    assert f"{base}/dashboard" in output and f"{base}/demo/" in output
    assert keys["secret_key"] in output and keys["write_key"] in output


def test_ctrl_c_stops_every_child(dev: tuple[subprocess.Popen[bytes], str, Path]) -> None:
    """SIGINT stops broker, Valkey, ingest, scorer and router: no process outlives dev,
    and the state file the commands beside it read is gone."""
    proc, _, tmp_path = dev
    state = tmp_path / "data" / "dev-state.json"
    deadline = time.monotonic() + 10
    while not state.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert oct(state.stat().st_mode & 0o777) == "0o600"
    children = descendants(proc.pid)
    assert len(children) >= 5, f"expected broker, valkey and three services, got {children}"
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=45) == 0
    assert not state.exists()
    deadline = time.monotonic() + 10
    while alive(children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert alive(children) == set()


def test_a_killed_supervisor_leaves_no_orphans(
    dev: tuple[subprocess.Popen[bytes], str, Path],
) -> None:
    """Even when dev itself is SIGKILLed its children go too (parent-death signal)."""
    proc, _, _ = dev
    children = descendants(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 20
    while alive(children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert alive(children) == set()
