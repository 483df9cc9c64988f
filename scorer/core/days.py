"""Memoize per-UTC-day text (funnel days, cap periods): days repeat, datetime formatting is slow."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["PerDay"]

_DAY = 86_400.0
# datetime rounds a float time to the microsecond: this close to midnight, compute directly.
_EDGE = 0.001


class PerDay:
    """`fn(t, arg)` for a result that depends only on t's UTC date and arg, cached per day."""

    __slots__ = ("_cache", "_fn", "_limit")

    def __init__(self, fn: Callable[[float, str], str], limit: int = 10_000) -> None:
        self._fn = fn
        self._cache: dict[tuple[float, str], str] = {}
        self._limit = limit

    def __call__(self, t: float, arg: str) -> str:
        day = t // _DAY
        into = t - day * _DAY
        if not _EDGE < into < _DAY - _EDGE:
            return self._fn(t, arg)
        key = (day, arg)
        text = self._cache.get(key)
        if text is None:
            if len(self._cache) >= self._limit:
                self._cache.clear()
            text = self._cache[key] = self._fn(t, arg)
        return text
