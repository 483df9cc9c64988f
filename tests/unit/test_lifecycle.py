"""Long-lived parts start once and stop any number of times."""

from __future__ import annotations

import asyncio

import pytest

from leadpulse.kernel.errors import AlreadyStarted
from leadpulse.kernel.health import HealthServer
from leadpulse.kernel.lifecycle import Lifecycle, StopRequested, unless_stopped


class Part(Lifecycle):
    def __init__(self, fail_start: bool = False) -> None:
        self.calls: list[str] = []
        self._fail_start = fail_start

    async def _start(self) -> None:
        self.calls.append("start")
        if self._fail_start:
            raise OSError("cannot connect")

    async def _stop(self) -> None:
        self.calls.append("stop")


async def _ready() -> dict[str, bool]:
    return {"up": True}


def _parts() -> list[Lifecycle]:
    return [Part(), HealthServer("127.0.0.1", 0, _ready)]


@pytest.mark.parametrize("part", _parts(), ids=["part", "health_server"])
async def test_starting_twice_raises(part: Lifecycle) -> None:
    """A second start() says the part was started before."""
    await part.start()
    try:
        with pytest.raises(AlreadyStarted, match="was started before"):
            await part.start()
    finally:
        await part.stop()


@pytest.mark.parametrize("part", _parts(), ids=["part", "health_server"])
async def test_stopping_twice_is_a_no_op(part: Lifecycle) -> None:
    """stop() after stop() (or before start()) does nothing and raises nothing."""
    await part.stop()
    await part.start()
    await part.stop()
    await part.stop()
    assert not part.started


async def test_a_stopped_part_does_not_start_again() -> None:
    """A part is used once: start() after stop() raises."""
    part = Part()
    await part.start()
    await part.stop()
    with pytest.raises(AlreadyStarted):
        await part.start()
    assert part.calls == ["start", "stop"]


async def test_async_with_starts_and_stops() -> None:
    """`async with` starts the part, and stops it once on the way out."""
    async with Part() as part:
        assert part.started
    assert part.calls == ["start", "stop"]


async def test_a_failed_start_releases_what_it_opened() -> None:
    """A start that raises stops the part, so what it opened is closed."""
    part = Part(fail_start=True)
    with pytest.raises(OSError, match="cannot connect"):
        await part.start()
    assert part.calls == ["start", "stop"]
    assert not part.started


class SlowPart(Lifecycle):
    """Starts like a consumer joining its group: opens a connection, then waits to join."""

    def __init__(self, joined: asyncio.Event) -> None:
        self.calls: list[str] = []
        self._joined = joined

    async def _start(self) -> None:
        self.calls.append("connect")
        await self._joined.wait()
        self.calls.append("joined")

    async def _stop(self) -> None:
        self.calls.append("close")


async def test_a_stop_during_a_slow_start_gives_the_start_up_and_closes_what_it_opened() -> None:
    joined, stop = asyncio.Event(), asyncio.Event()
    part = SlowPart(joined)
    starting = asyncio.create_task(unless_stopped(part.start(), stop))
    await asyncio.sleep(0)
    stop.set()
    with pytest.raises(StopRequested):
        await starting
    assert part.calls == ["connect", "close"]
    assert not part.started


async def test_a_start_that_finishes_gives_its_result_and_leaves_the_part_running() -> None:
    joined, stop = asyncio.Event(), asyncio.Event()
    part = SlowPart(joined)
    joined.set()
    await unless_stopped(part.start(), stop)
    assert part.calls == ["connect", "joined"]
    assert part.started
    assert await unless_stopped(asyncio.sleep(0, result="value"), stop) == "value"
    await part.stop()
