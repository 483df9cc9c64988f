"""Start once, stop any number of times: the lifecycle of every long-lived part.

A part implements `_start()` and `_stop()`; `Lifecycle` gives it `start()`, `stop()` and
`async with`. Starting twice (or after a stop) raises `AlreadyStarted`; stopping a part
that never started, or a second time, does nothing. A `_start()` that fails half way is
stopped at once, so `_stop()` must cope with a part only partly opened.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from types import TracebackType
from typing import Literal, Self, TypeVar

from leadpulse.kernel.errors import AlreadyStarted

__all__ = ["Lifecycle", "StopRequested", "unless_stopped"]

T = TypeVar("T")


class Lifecycle:
    _phase: Literal["new", "started", "stopped"] = "new"

    async def _start(self) -> None:
        """Open what the part holds (connections, tasks)."""

    async def _stop(self) -> None:
        """Close what `_start` opened, in reverse order."""

    @property
    def started(self) -> bool:
        """Started and not stopped since."""
        return self._phase == "started"

    async def start(self) -> None:
        if self._phase != "new":
            raise AlreadyStarted(f"{type(self).__name__} was started before")
        self._phase = "started"
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        if self._phase != "started":
            return
        self._phase = "stopped"
        await self._stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


class StopRequested(Exception):
    """`stop` was set while a part was still starting: it was given up, nothing is open."""


async def unless_stopped(starting: Awaitable[T], stop: asyncio.Event) -> T:
    """Await `starting` (a part's start), or cancel it as soon as `stop` is set.

    Joining a consumer group can take seconds (the broker waits for other members); a
    service asked to stop meanwhile should not sit that out. A start cancelled half way
    closes what it opened (`Lifecycle.start`); then this raises `StopRequested`.
    """
    task = asyncio.ensure_future(starting)
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
    if task.done():
        return task.result()
    task.cancel()
    await asyncio.wait({task})
    if task.cancelled():
        raise StopRequested
    return task.result()  # it finished just as it was cancelled
