"""`leadpulse dev` for a newcomer: busy ports never stop it with a traceback, and the
commands run beside it find its stack with nothing exported."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from leadpulse.dev.embedded import free_port
from tests.integration.cli.test_dev import _wait_ready
from tests.process_tree import env_without_lp

pytestmark = pytest.mark.timeout(120)


def _hold(stack: ExitStack, port: int) -> None:
    """Listen on `port` as another program would; one that already does is as good."""
    sock = stack.enter_context(socket.socket())
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        return
    sock.listen()


def _leadpulse(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leadpulse", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _banner(log: Path, proc: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        output = log.read_text(errors="replace")
        if "Stop with Ctrl-C" in output:
            return output
        assert proc.poll() is None, output
        time.sleep(0.1)
    raise AssertionError("the banner never showed")


@pytest.fixture
def dev_on_busy_ports(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """`leadpulse dev` in a fresh directory while 8001 and 8002 are taken, with only
    LP_HTTP_PORT set (to keep off other stacks on this machine): (base URL, banner, dir)."""
    port = free_port()
    env = env_without_lp() | {"LP_HTTP_PORT": str(port), "LP_LOG_FORMAT": "json"}
    with ExitStack() as stack:
        _hold(stack, 8001)
        _hold(stack, 8002)
        log_path = tmp_path / "dev.log"
        log = stack.enter_context(log_path.open("wb"))
        proc = subprocess.Popen(
            [sys.executable, "-m", "leadpulse", "dev"],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_ready(f"{base}/readyz", proc)
            yield base, _banner(log_path, proc), tmp_path
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_dev_starts_while_8001_and_8002_are_taken(
    dev_on_busy_ports: tuple[str, str, Path],
) -> None:
    """The scorer and router take other ports, shown in the banner, and answer there."""
    base, banner, _ = dev_on_busy_ports
    assert httpx.get(f"{base}/readyz").status_code == 200
    for service in ("scorer", "router"):
        found = re.search(rf"{service} health\W+(http://127\.0\.0\.1:(\d+)/readyz)", banner)
        assert found is not None, banner
        assert int(found.group(2)) not in (8001, 8002)
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(found.group(1), timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"{service} health never answered 200"
            time.sleep(0.2)


def test_dlq_list_beside_dev_needs_nothing_exported(
    dev_on_busy_ports: tuple[str, str, Path],
) -> None:
    """Run in the same directory with no LP_* variable, `dlq list` reads dev's Valkey."""
    _, _, where = dev_on_busy_ports
    result = _leadpulse("dlq", "list", cwd=where, env=env_without_lp())
    assert result.returncode == 0, result.stderr
    assert "0 dead-lettered alerts" in result.stderr


@pytest.mark.parametrize("variable", ["LP_HTTP_PORT", "LP_SCORER_HEALTH_PORT"])
def test_a_taken_port_that_was_set_is_one_line_and_exit_2(tmp_path: Path, variable: str) -> None:
    """No traceback, no Kafka client noise: one line naming the port and its variable."""
    port = free_port()
    env = env_without_lp() | {
        "LP_HTTP_PORT": str(free_port()),
        "LP_SCORER_HEALTH_PORT": str(free_port()),
        "LP_ROUTER_HEALTH_PORT": str(free_port()),
        "LP_DATA_DIR": str(tmp_path / "data"),
        variable: str(port),
    }
    with ExitStack() as stack:
        _hold(stack, port)
        result = _leadpulse("dev", cwd=tmp_path, env=env)
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 2, output
    assert len(output.splitlines()) == 1, output
    assert str(port) in output and variable in output
    assert "Traceback" not in output and "Unclosed" not in output


def test_dlq_list_with_no_stack_says_what_to_set(tmp_path: Path) -> None:
    """Nothing running, nothing set: one line naming LP_REDIS_URL, exit 2."""
    result = _leadpulse("dlq", "list", cwd=tmp_path, env=env_without_lp())
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 2, output
    assert len(output.splitlines()) == 1, output
    assert "LP_REDIS_URL" in output and "Traceback" not in output
