"""Every metric the dashboard and the alert rules name is one a running service exports:
a whole `leadpulse dev` stack (real broker, real Valkey) is started and each /metrics read."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from leadpulse.dev.embedded import free_port
from tests.deploy.monitoring import dashboard_exprs, rule_exprs
from tests.deploy.promql import exported_names, metric_names
from tests.process_tree import env_without_lp

pytestmark = pytest.mark.timeout(180)

# Recorded by Prometheus itself for every target it scrapes.
PROMETHEUS_OWN = {"up"}


@dataclass(frozen=True)
class Running:
    metrics: dict[str, str]  # service -> its base URL for /readyz and /metrics


def _poll(check: Callable[[], bool], what: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while not check():
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        assert time.monotonic() < deadline, f"{what} never happened"
        time.sleep(0.2)


def _answers_200(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    data = tmp_path_factory.mktemp("stack")
    ports = {"ingest": free_port(), "scorer": free_port(), "router": free_port()}
    env = env_without_lp() | {
        "LP_HTTP_PORT": str(ports["ingest"]),
        "LP_SCORER_HEALTH_PORT": str(ports["scorer"]),
        "LP_ROUTER_HEALTH_PORT": str(ports["router"]),
        "LP_DATA_DIR": str(data),
    }
    log_path = data / "dev.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "leadpulse", "dev"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    bases = {service: f"http://127.0.0.1:{port}" for service, port in ports.items()}
    try:
        for service, base in bases.items():
            _poll(lambda b=base: _answers_200(f"{b}/readyz"), f"{service} ready", proc, log_path)
        yield Running(bases)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def scrape(base: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Series name -> (labels, value) of each sample; families with no sample yet too."""
    text = httpx.get(f"{base}/metrics", timeout=5).text
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for name in exported_names([(family.name, family.type)]):
            found.setdefault(name, [])
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def test_every_metric_the_dashboard_and_rules_name_is_exported(running: Running) -> None:
    exported = set().union(*(scrape(base) for base in running.metrics.values()))
    named: dict[str, set[str]] = {}
    for title, exprs in dashboard_exprs().items():
        for expr in exprs:
            for name in metric_names(expr):
                named.setdefault(name, set()).add(f"panel {title!r}")
    for alert, expr in rule_exprs().items():
        assert metric_names(expr), alert
        for name in metric_names(expr):
            named.setdefault(name, set()).add(f"alert {alert}")
    missing = {name: where for name, where in named.items() if name not in exported}
    assert set(missing) <= PROMETHEUS_OWN, missing


def test_ready_services_say_so_and_the_scorer_reports_lag_per_partition(
    running: Running,
) -> None:
    for service, base in running.metrics.items():
        assert httpx.get(f"{base}/readyz", timeout=5).status_code == 200
        assert scrape(base)[f"leadpulse_{service}_ready"] == [({}, 1.0)], service

    def lag_partitions() -> set[str]:
        series = scrape(running.metrics["scorer"])["leadpulse_scorer_lag_messages"]
        return {labels["partition"] for labels, _ in series}

    deadline = time.monotonic() + 30
    while len(lag_partitions()) < 6 and time.monotonic() < deadline:
        time.sleep(0.2)
    # `leadpulse dev` makes a 6-partition events topic, all held by its one scorer.
    assert lag_partitions() == {str(p) for p in range(6)}
