"""The fault schedule: drawn from a seed, printed with its times, then played on the stack.

Two tracks run side by side: processes and infrastructure (SIGKILL a scorer, the router,
ingest, Valkey; cut the broker; fill the spool's disk while the broker is away), one fault
at a time so each recovery can be timed; and the webhook receiver's answers (500, 429 with
Retry-After, 410, a hang past the router's timeout). After every recovery a probe event is
sent: liveness means it is applied within `LIVENESS_SECONDS` of its acceptance, or of the
end of a later fault it had to wait through (the faults follow each other closely, and a
probe spooled during the next broker cut cannot be applied before the broker is back).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from tests.soak.receiver import Mode, WebhookReceiver
from tests.soak.stack import Stack

__all__ = ["LIVENESS_SECONDS", "Fault", "FaultRunner", "schedule"]

LIVENESS_SECONDS = 30.0
_INFRA = ["kill_scorer", "kill_scorer", "kill_scorer", "kill_router", "kill_ingest"]
_INFRA += ["kill_valkey", "cut_broker", "disk_full"]
_HOOKS: list[Mode] = ["500", "429", "410", "hang"]
# Seconds a fault lasts (default 1-3). The broker stays away longer than ingest's 5 s send
# timeout, so ingest turns to its spool (and, with the disk full, to 503 + Retry-After).
_LASTING = {"cut_broker": (6.0, 9.0), "disk_full": (6.0, 9.0)}
_LASTING.update({f"webhook_{mode}": (2.0, 5.0) for mode in _HOOKS})


@dataclass(frozen=True)
class Fault:
    at: float  # seconds after the load starts
    kind: str
    target: str
    seconds: float  # how long the thing stays down, cut or faulty

    def __str__(self) -> str:
        what = f"{self.kind} {self.target}".strip()
        return f"+{self.at:6.1f}s  {what} for {self.seconds:.1f}s"


def schedule(seed: int, seconds: float, *, disk_full: bool = True) -> list[Fault]:
    """One round of every fault per minute of load (at least one), spread over its first 80%."""
    rng = random.Random(seed)
    rounds = max(1, round(seconds / 60))
    infra = [kind for _ in range(rounds) for kind in _INFRA if disk_full or kind != "disk_full"]
    hooks = [mode for _ in range(rounds) for mode in _HOOKS]
    rng.shuffle(infra)
    rng.shuffle(hooks)
    faults = []
    for kinds in (infra, hooks):
        step = seconds * 0.8 / len(kinds)
        for n, kind in enumerate(kinds):
            at = seconds * 0.05 + step * (n + rng.uniform(0.0, 0.3))
            target = rng.choice(["scorer-a", "scorer-b"]) if kind == "kill_scorer" else ""
            name = kind if kind.startswith(("kill", "cut", "disk")) else f"webhook_{kind}"
            lasting = rng.uniform(*_LASTING.get(name, (1.0, 3.0)))
            faults.append(Fault(round(at, 1), name, target, round(lasting, 1)))
    return sorted(faults, key=lambda f: f.at)


Probe = Callable[[str], Awaitable[str]]
Applied = Callable[[str], Awaitable[bool]]


@dataclass
class FaultRunner:
    """Plays a schedule; remembers router kills (for the alert oracle) and probe latencies."""

    stack: Stack
    receiver: WebhookReceiver
    probe: Probe
    applied: Applied
    played: int = 0
    router_kills: list[float] = field(default_factory=list)
    liveness: list[tuple[str, float]] = field(default_factory=list)  # (label, seconds)
    history: list[tuple[float, Fault]] = field(default_factory=list)  # (monotonic, fault)
    # (start, end) of each process or infrastructure fault, monotonic; end None while playing
    disturbed: list[tuple[float, float | None]] = field(default_factory=list)
    _checks: list[asyncio.Task[None]] = field(default_factory=list)

    async def run(self, faults: list[Fault], started: float) -> None:
        infra = [f for f in faults if not f.kind.startswith("webhook")]
        hooks = [f for f in faults if f.kind.startswith("webhook")]
        await asyncio.gather(self._track(infra, started), self._track(hooks, started))
        await asyncio.gather(*self._checks)

    @property
    def liveness_failures(self) -> int:
        return sum(1 for _, seconds in self.liveness if seconds > LIVENESS_SECONDS)

    async def _track(self, faults: list[Fault], started: float) -> None:
        for fault in faults:
            wait = started + fault.at - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            print(f"  fault {fault}  (at +{time.monotonic() - started:.1f}s)", flush=True)
            self.history.append((time.monotonic(), fault))
            infra = not fault.kind.startswith("webhook")
            if infra:
                self.disturbed.append((time.monotonic(), None))
            await self._play(fault)
            self.played += 1
            if infra:
                self.disturbed[-1] = (self.disturbed[-1][0], time.monotonic())
                label = f"{self.played}-{fault.kind}"
                self._checks.append(asyncio.create_task(self._check_live(label)))

    async def _play(self, fault: Fault) -> None:
        stack, kind = self.stack, fault.kind
        if kind.startswith("webhook_"):
            self.receiver.mode = kind.removeprefix("webhook_")  # type: ignore[assignment]
            await asyncio.sleep(fault.seconds)
            self.receiver.mode = "ok"
        elif kind == "kill_valkey":
            stack.valkey.kill()
            await asyncio.sleep(fault.seconds)
            await asyncio.to_thread(stack.valkey.restart)
        elif kind in ("cut_broker", "disk_full"):
            if kind == "disk_full":
                await asyncio.to_thread(stack.fill_spool)
            await asyncio.to_thread(stack.proxy.cut)
            await asyncio.sleep(fault.seconds)
            await asyncio.to_thread(stack.proxy.restore)
            stack.free_spool()
        else:
            service = stack.services[fault.target or kind.removeprefix("kill_")]
            if service.name == "router":
                self.router_kills.append(time.monotonic())
            service.kill()
            await asyncio.sleep(fault.seconds)
            service.start()
            if not await asyncio.to_thread(service.wait_ready, 60):
                print(f"  {service.name} not ready 60s after its restart", flush=True)

    async def _check_live(self, label: str) -> None:
        """Send a probe after a recovery; record how long until it is applied."""
        event_id = await self.probe(label)
        accepted = time.monotonic()
        took = float("inf")
        while True:
            now = time.monotonic()
            quiet = self._quiet_since(accepted, now)
            if await self.applied(event_id):
                took = max(0.0, time.monotonic() - quiet)
                break
            if now - quiet > LIVENESS_SECONDS + 5:
                break
            await asyncio.sleep(0.25)
        self.liveness.append((label, took))
        print(f"  probe after {label}: applied after {took:.1f}s", flush=True)

    def _quiet_since(self, accepted: float, now: float) -> float:
        """The later of the probe's acceptance and the end of the last fault that overlapped
        its wait (now, while one is still playing)."""
        quiet = accepted
        for start, end in self.disturbed:
            if start <= now and (end is None or end > accepted):
                quiet = max(quiet, now if end is None else end)
        return quiet
