"""Start once, stop any number of times: the lifecycle of every long-lived part.

A part implements `_start()` and `_stop()`; `Lifecycle` gives it `start()`, `stop()` and
`async with`. Starting twice (or after a stop) raises `AlreadyStarted`; stopping a part
that never started, or a second time, does nothing. A `_start()` that fails half way is
stopped at once, so `_stop()` must cope with a part only partly opened.
"""

from __future__ import annotations

from types import TracebackType
from typing import Literal, Self

from leadpulse.kernel.errors import AlreadyStarted

__all__ = ["Lifecycle"]


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
