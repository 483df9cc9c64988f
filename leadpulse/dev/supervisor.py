"""`leadpulse dev`: the whole stack on one machine, supervised, stopped cleanly on Ctrl-C.

The broker and Valkey are embedded unless `LP_KAFKA_BOOTSTRAP` / `LP_REDIS_URL` point
elsewhere; ingest, scorer and router run as child processes exactly as in production
(`leadpulse ingest|scorer|router`). Children get SIGTERM if the supervisor itself dies,
so nothing outlives it.

Ports: one the person set (LP_HTTP_PORT, LP_SCORER_HEALTH_PORT, LP_ROUTER_HEALTH_PORT) must
be free, or dev says so in one line and exits 2 before starting anything; one left unset
takes its default when free, else any free port (the banner shows which). While it runs,
`leadpulse.dev.state` tells the commands beside it where the stack is.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType

import httpx
import structlog
from pydantic import SecretStr
from rich.console import Console
from rich.table import Table

from leadpulse.dev.embedded import (
    EmbeddedBroker,
    EmbeddedValkey,
    die_with_parent,
    free_port,
    port_taken,
)
from leadpulse.dev.state import remove_dev_state, running_dev, write_dev_state
from leadpulse.kernel.kafka import ensure_topics
from leadpulse.kernel.settings import Settings, generate_missing_keys

__all__ = ["SERVICES", "run_dev"]

SERVICES = ("ingest", "scorer", "router")
_PORTS = (
    ("http_port", "LP_HTTP_PORT"),
    ("scorer_health_port", "LP_SCORER_HEALTH_PORT"),
    ("router_health_port", "LP_ROUTER_HEALTH_PORT"),
)
_RESTARTS_ALLOWED = 5
log = structlog.get_logger("leadpulse.dev")


class _Child:
    def __init__(self, name: str, env: dict[str, str]) -> None:
        self.name = name
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "leadpulse", self.name],
            env=self.env,
            stdin=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )

    def exited(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def terminate(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def wait(self, deadline: float) -> None:
        if self.proc is None:
            return
        try:
            self.proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("child_killed_after_deadline", service=self.name)
            self.proc.kill()
            self.proc.wait()


def _child_env(
    settings: Settings, bootstrap: str, redis_url: str, config: Path | None
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "LP_KAFKA_BOOTSTRAP": bootstrap,
            "LP_REDIS_URL": redis_url,
            "LP_HTTP_HOST": settings.http_host,
            "LP_HTTP_PORT": str(settings.http_port),
            "LP_SCORER_HEALTH_PORT": str(settings.scorer_health_port),
            "LP_ROUTER_HEALTH_PORT": str(settings.router_health_port),
            "LP_DATA_DIR": str(settings.data_dir.resolve()),
            "LP_DEV_INBOX": "true",
            "LP_LOG_FORMAT": settings.log_format,
        }
    )
    if config is not None:
        env["LP_CONFIG"] = str(config.resolve())
    if not settings.webhook_url:
        env["LP_WEBHOOK_URL"] = f"{settings.base_url}/inbox/hooks"
    for name in ("write_key", "secret_key", "token_secret", "session_secret", "webhook_secret"):
        value: SecretStr | None = getattr(settings, name)
        if value is not None:
            env[f"LP_{name.upper()}"] = value.get_secret_value()
    return env


def _wait_ready(url: str, children: list[_Child], stop: threading.Event, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stop.is_set():
        for child in children:
            if child.exited() is not None:
                log.error("child_exited_during_startup", service=child.name, code=child.exited())
                return False
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1.0).status_code == 200:
                return True
        stop.wait(0.2)
    return False


def _banner(
    console: Console, settings: Settings, bootstrap: str, redis_url: str, made: dict[str, str]
) -> None:
    base = settings.base_url
    table = Table(title="LeadPulse is running", show_header=False, title_justify="left")
    for label, value in [
        ("demo site", f"{base}/demo/"),
        ("dashboard", f"{base}/dashboard"),
        ("alert inbox", f"{base}/inbox"),
        ("snippet", f"{base}/lp.js"),
        ("health", f"{base}/readyz  ·  {base}/metrics"),
        ("scorer health", f"http://{settings.http_host}:{settings.scorer_health_port}/readyz"),
        ("router health", f"http://{settings.http_host}:{settings.router_health_port}/readyz"),
        ("kafka", bootstrap),
        ("valkey", redis_url),
        ("data", str(settings.data_dir.resolve())),
    ]:
        table.add_row(label, value)
    for name in ("write_key", "secret_key", "webhook_secret"):
        secret: SecretStr | None = getattr(settings, name)
        if secret is not None:
            origin = "generated" if name in made else "from LP_" + name.upper()
            table.add_row(f"LP_{name.upper()}", f"{secret.get_secret_value()}  ({origin})")
    console.print(table)
    console.print("Fill it with demo data: [bold].venv/bin/leadpulse simulate --leads 2000[/]")
    console.print("Stop with Ctrl-C.")


class _PortTaken(Exception):
    pass


def _choose_ports(settings: Settings) -> Settings:
    """The ports the stack will use; `_PortTaken` for a port the person set that is in use."""
    host = settings.http_host
    chosen: dict[str, int] = {}
    for name, variable in _PORTS:
        port: int = getattr(settings, name)
        if name in settings.model_fields_set:
            if port_taken(host, port):
                raise _PortTaken(
                    f"port {port} ({variable}) is already in use: stop what listens there "
                    f"or set {variable} to a free port"
                )
        elif port_taken(host, port) or port in chosen.values():
            port = free_port()
        chosen[name] = port
    return settings.model_copy(update=chosen)


def run_dev(settings: Settings, console: Console) -> int:
    """Run until SIGINT/SIGTERM; return the exit code (2: cannot start as configured)."""
    running = running_dev(settings)
    if running is not None:
        console.print(
            f"a leadpulse dev (pid {running}) already runs with data dir "
            f"{settings.data_dir.resolve()}: stop it, or set LP_DATA_DIR for a second stack",
            soft_wrap=True,
            markup=False,
        )
        return 2
    try:
        settings = _choose_ports(settings)
    except _PortTaken as exc:
        console.print(str(exc), soft_wrap=True, markup=False)
        return 2
    settings, made = generate_missing_keys(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    broker: EmbeddedBroker | None = None
    valkey: EmbeddedValkey | None = None
    children: list[_Child] = []
    code = 0
    try:
        bootstrap = settings.kafka_bootstrap
        if bootstrap is None:
            broker = EmbeddedBroker(free_port())
            broker.start()
            bootstrap = broker.bootstrap
        redis_url = settings.redis_url
        if redis_url is None:
            valkey = EmbeddedValkey(settings.data_dir.resolve() / "valkey")
            valkey.start()
            redis_url = valkey.url
        settings = settings.model_copy(
            update={"kafka_bootstrap": bootstrap, "redis_url": redis_url}
        )
        asyncio.run(ensure_topics(settings))
        env = _child_env(settings, bootstrap, redis_url, settings.config)
        children = [_Child(name, env) for name in SERVICES]
        for child in children:
            child.start()
        if not _wait_ready(f"{settings.base_url}/readyz", children, stop, timeout=60):
            if not stop.is_set():
                console.print("[bold red]the stack did not become ready; stopping[/]")
                code = 1
            return code
        write_dev_state(settings)
        _banner(console, settings, bootstrap, redis_url, made)
        code = _supervise(children, stop)
        return code
    finally:
        remove_dev_state(settings)
        deadline = time.monotonic() + 15
        for child in children:
            child.terminate()
        for child in children:
            child.wait(deadline)
        if valkey is not None:
            valkey.stop()
        if broker is not None:
            broker.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        log.info("dev_stopped")


def _supervise(children: list[_Child], stop: threading.Event) -> int:
    """Restart a child that dies; give up (exit 1) after too many restarts."""
    while not stop.wait(0.5):
        for child in children:
            code = child.exited()
            if code is None:
                continue
            if child.restarts >= _RESTARTS_ALLOWED:
                log.error("child_gave_up", service=child.name, code=code)
                return 1
            child.restarts += 1
            log.warning("child_restarted", service=child.name, code=code, restarts=child.restarts)
            child.start()
    return 0
