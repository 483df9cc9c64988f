"""A whole `leadpulse dev` stack and a real Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from leadpulse.dev.embedded import free_port
from tests.process_tree import env_without_lp

CHROMIUM = "/usr/bin/chromium"
# Headless Chromium announces itself as HeadlessChrome, which the edge rightly flags as a
# bot; these tests play a person, so they present an ordinary desktop Chrome.
PERSON_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@dataclass(frozen=True)
class Stack:
    base: str
    write_key: str
    secret_key: str
    webhook_secret: str

    def api(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base, headers={"Authorization": f"Bearer {self.secret_key}"}, timeout=10
        )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data = tmp_path_factory.mktemp("stack")
    port = free_port()
    env = env_without_lp() | {
        "LP_HTTP_PORT": str(port),
        "LP_DATA_DIR": str(data),
        "LP_SCORER_HEALTH_PORT": str(free_port()),
        "LP_ROUTER_HEALTH_PORT": str(free_port()),
    }
    log = (data / "dev.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "leadpulse", "dev"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, (data / "dev.log").read_text(errors="replace")[-3000:]
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "leadpulse dev never became ready"
            time.sleep(0.2)
        keys = json.loads((data / "dev-keys.json").read_text())
        yield Stack(base, keys["write_key"], keys["secret_key"], keys["webhook_secret"])
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def person(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile of an ordinary visitor (no DNT, no GPC)."""
    context = browser.new_context(user_agent=PERSON_UA, viewport={"width": 1280, "height": 900})
    yield context
    context.close()


def wait_for(check, timeout: float = 30.0, interval: float = 0.25):  # type: ignore[no-untyped-def]
    """Poll `check()` until it returns something truthy; fail with its last value."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met in {timeout}s; last value: {last!r}")
