"""The pipeline as separate processes, as in production: Tansu behind a cuttable proxy,
Valkey with its append-only file, `leadpulse ingest`, two `leadpulse scorer`, `leadpulse
router`, and the ingest spool on a small tmpfs that a fault can fill.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml

from leadpulse.dev.embedded import EmbeddedBroker, EmbeddedValkey, die_with_parent, free_port
from leadpulse.kernel.config import default_config_path
from tests.soak.proxy import TcpProxy

__all__ = ["SECRET_KEY", "WEBHOOK_SECRET", "WRITE_KEY", "Service", "Stack"]

WRITE_KEY = "wk_soak_public"
SECRET_KEY = "sk_soak_secret"
WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SERVICES = ("ingest", "scorer-a", "scorer-b", "router")
PARTITIONS = 6
# The router gives up on a hanging receiver after this; the receiver's hang outlasts it.
READ_TIMEOUT_SECONDS = 2


class _ProxiedBroker(EmbeddedBroker):
    """Tansu that tells clients to reach it through the proxy (its advertised address)."""

    def __init__(self, advertised_port: int) -> None:
        super().__init__()
        self.advertised_port = advertised_port

    def _command(self) -> list[str]:
        cmd = super()._command()
        cmd[cmd.index("--advertised-listener-url") + 1] = f"tcp://127.0.0.1:{self.advertised_port}"
        return cmd


class Service:
    """One `leadpulse <command>` process: start, SIGKILL, start again; logs appended."""

    def __init__(self, name: str, env: dict[str, str], log: Path, ready_url: str) -> None:
        self.name = name
        self.env = env
        self.log = log
        self.ready_url = ready_url
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def command(self) -> str:
        return self.name.split("-")[0]

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "leadpulse", self.command],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,
            )
        self.starts += 1

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.kill()

    def wait_ready(self, timeout: float = 45) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode}: see {self.log}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.ready_url, timeout=1).status_code == 200:
                    return True
            time.sleep(0.2)
        return False


class Stack:
    """Everything the soak runs, under `root`; `start()` once, `stop()` idempotently."""

    def __init__(
        self,
        root: Path,
        webhook_url: str,
        *,
        appendfsync: str = "always",
        lead_cache: int | None = None,
    ) -> None:
        self.root = root
        self.lead_cache = lead_cache  # leads each scorer keeps in memory (its default if None)
        self.proxy = TcpProxy(free_port(), 0)
        self.broker = _ProxiedBroker(self.proxy.listen_port)
        self.proxy.target_port = self.broker.port
        self.valkey = EmbeddedValkey(root / "valkey", appendfsync=appendfsync)
        self.spool = root / "spool"
        self.spool_mounted = False
        self.http_port = free_port()
        self.webhook_url = webhook_url
        self.services: dict[str, Service] = {}

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.proxy.listen_port}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def base_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LP_")}
        env.update(
            {
                "LP_KAFKA_BOOTSTRAP": self.bootstrap,
                "LP_KAFKA_PARTITIONS": str(PARTITIONS),
                "LP_REDIS_URL": self.valkey.url,
                "LP_CONFIG": str(self._config()),
                "LP_WRITE_KEY": WRITE_KEY,
                "LP_SECRET_KEY": SECRET_KEY,
                "LP_TOKEN_SECRET": "soak-token-secret",
                "LP_SESSION_SECRET": "soak-session-secret",
                "LP_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "LP_LOG_FORMAT": "json",
                "LP_LOG_LEVEL": "warning",
            }
        )
        return env

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.broker.start()
        self.proxy.start()
        self.valkey.start()
        self._mount_spool()
        for name in SERVICES:
            self.services[name] = self._service(name)
        for service in self.services.values():
            service.start()
        for service in self.services.values():
            if not service.wait_ready(60):
                raise RuntimeError(f"{service.name} never became ready: see {service.log}")

    def stop(self) -> None:
        for service in self.services.values():
            service.stop()
        self.valkey.stop()
        self.proxy.stop()
        self.broker.stop()
        if self.spool_mounted:
            subprocess.run(["umount", "-l", str(self.spool)], check=False)
            self.spool_mounted = False

    def _service(self, name: str) -> Service:
        env = self.base_env()
        data = self.root / name
        data.mkdir(exist_ok=True)
        env["LP_DATA_DIR"] = str(data)
        port = free_port()
        if name == "ingest":
            env.update({"LP_HTTP_PORT": str(self.http_port), "LP_SPOOL_DIR": str(self.spool)})
            port = self.http_port
        elif name.startswith("scorer"):
            env["LP_SCORER_HEALTH_PORT"] = str(port)
            if self.lead_cache is not None:
                env["LP_SCORER_LEAD_CACHE"] = str(self.lead_cache)
        else:
            env.update({"LP_ROUTER_HEALTH_PORT": str(port), "LP_WEBHOOK_URL": self.webhook_url})
        ready = "readyz" if name == "ingest" else "healthz"
        return Service(name, env, self.root / f"{name}.log", f"http://127.0.0.1:{port}/{ready}")

    def health_port(self, name: str) -> int:
        return int(self.services[name].ready_url.split(":")[2].split("/")[0])

    def _config(self) -> Path:
        path = self.root / "soak.yaml"
        if not path.exists():
            raw = yaml.safe_load(default_config_path().read_text(encoding="utf-8"))
            raw["routing"]["throttle_minutes"] = 0
            raw["routing"]["retry"] = {
                "attempts": 4,
                "base_seconds": 0.2,
                "cap_seconds": 2,
                "jitter": 0.2,
                "connect_timeout_seconds": 1,
                "read_timeout_seconds": READ_TIMEOUT_SECONDS,
            }
            path.write_text(yaml.safe_dump(raw), encoding="utf-8")
        return path

    def _mount_spool(self) -> None:
        """A 16 MB tmpfs for the spool, so a fault can fill the disk; plain dir without root."""
        self.spool.mkdir(exist_ok=True)
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(self.spool)],
            check=False,
            capture_output=True,
        )
        self.spool_mounted = done.returncode == 0

    def fill_spool(self) -> None:
        """Fill the spool's filesystem to the last byte (ENOSPC for the next append)."""
        with (self.spool / "filler").open("wb", buffering=0) as out:
            for chunk in (65536, 4096, 1):  # tmpfs allocates pages: end byte by byte
                with contextlib.suppress(OSError):
                    while True:
                        out.write(b"\0" * chunk)

    def free_spool(self) -> None:
        (self.spool / "filler").unlink(missing_ok=True)

    def cleanup(self, keep_data: bool = False) -> None:
        """Stop everything and drop the bulky data; the logs stay for a post-mortem."""
        self.stop()
        for data in () if keep_data else ("valkey", "rescore-valkey", "spool"):
            shutil.rmtree(self.root / data, ignore_errors=True)
