"""The content map: a page's consideration stage and topics; a lead's stage and interests.

A lead's consideration stage is the most advanced one it has read (reading pricing after a
case study does not make a buyer less ready); its interests are its most-read topics.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from leadpulse.kernel.config.scoring import ContentRule
from scorer.core.patterns import Pattern, compile_glob
from scorer.core.state import LeadState

__all__ = ["ContentMap", "Page", "lead_consideration", "read_page", "top_interests"]

_ORDER = {"early": 0, "mid": 1, "late": 2}
_CACHE_MAX = 10_000  # distinct paths remembered; a site has far fewer pages than events


@dataclass(frozen=True, slots=True)
class Page:
    consideration: str
    topics: tuple[str, ...]


class ContentMap:
    """URL path globs -> consideration stage and topics; the first match wins."""

    def __init__(self, rules: Sequence[ContentRule]) -> None:
        self._rules: tuple[tuple[Pattern, Page], ...] = tuple(
            (compile_glob(rule.url), Page(rule.consideration, tuple(rule.topics))) for rule in rules
        )

        self._cache: dict[str, Page | None] = {}

    def page(self, path: str | None) -> Page | None:
        if not path:
            return None
        if path in self._cache:
            return self._cache[path]
        found = next((page for pattern, page in self._rules if pattern.search(path)), None)
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[path] = found
        return found


def lead_consideration(counts: Mapping[str, int]) -> str | None:
    seen = [stage for stage, n in counts.items() if n > 0 and stage in _ORDER]
    return max(seen, key=_ORDER.__getitem__) if seen else None


def top_interests(topics: Mapping[str, int], limit: int = 3) -> list[str]:
    ranked = sorted(topics.items(), key=lambda item: (-item[1], item[0]))
    return [topic for topic, _ in ranked[:limit]]


def read_page(state: LeadState, content: ContentMap, path: str | None) -> None:
    """The lead read the page at `path`: count its consideration stage and topics."""
    page = content.page(path)
    if page is None:
        return
    state.consideration[page.consideration] = state.consideration.get(page.consideration, 0) + 1
    for topic in page.topics:
        state.topics[topic] = state.topics.get(topic, 0) + 1
