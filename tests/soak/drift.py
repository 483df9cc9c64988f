"""Steady load without drift: sample each process's RSS, the scorers' lag and Valkey's
memory while the load runs, and print each series' least-squares slope per minute.

Lag is counted from the broker's end offsets minus the offsets the scorers stored in
Valkey. Tansu reports an end offset as the start of the last batch, so the figure reads a
batch low; its slope (what drift is about) is unaffected.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from redis.exceptions import RedisError

from tests.soak.observe import Pipeline

__all__ = ["DriftSampler", "slope_per_minute"]


def slope_per_minute(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, per minute; 0 with fewer than two."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    if var == 0:
        return 0.0
    cov = sum((t - mean_t) * (v - mean_v) for t, v in points)
    return cov / var * 60


def rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


@dataclass
class DriftSampler:
    """Samples every `every` seconds until stopped; `pids()` names the processes to watch."""

    pids: Callable[[], dict[str, int]]
    pipeline: Pipeline
    bootstrap: str
    topic: str
    every: float = 5.0
    series: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    def _add(self, name: str, at: float, value: float | None) -> None:
        if value is not None:
            self.series.setdefault(name, []).append((at, value))

    async def run(self, stop: asyncio.Event) -> None:
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None)
        await consumer.start()
        started = time.monotonic()
        try:
            while not stop.is_set():
                at = time.monotonic() - started
                for name, pid in self.pids().items():
                    self._add(f"rss {name} MiB", at, rss_mib(pid))
                self._add("scorer lag (events)", at, await self._lag(consumer))
                try:
                    info = await self.pipeline.redis.info("memory")
                    self._add("valkey used_memory MiB", at, info["used_memory"] / 2**20)
                except (RedisError, OSError):
                    pass
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.every)
        finally:
            await consumer.stop()

    async def _lag(self, consumer: AIOKafkaConsumer) -> float | None:
        try:
            tps = [TopicPartition(self.topic, p) for p in range(len(self.pipeline.keys))]
            ends = await consumer.end_offsets(tps)
            stored = (await self.pipeline.offsets())[0::2]
        except (KafkaError, RedisError, OSError):
            return None
        return float(sum(max(0, ends[tp] - (s + 1)) for tp, s in zip(tps, stored, strict=True)))

    def lines(self, warmup: float = 30.0) -> list[str]:
        """Each series' slope per minute (after a warm-up), the slope over its second half
        (growth that levels off, such as a cache filling to its cap, shows there), and its
        last value."""
        out = []
        for name, points in sorted(self.series.items()):
            steady = [p for p in points if p[0] >= warmup] or points
            late = steady[len(steady) // 2 :]
            out.append(
                f"drift: {name}: slope {slope_per_minute(steady):+.2f}/min, second half "
                f"{slope_per_minute(late):+.2f}/min, last {points[-1][1]:.1f} "
                f"({len(steady)} samples)"
            )
        return out
