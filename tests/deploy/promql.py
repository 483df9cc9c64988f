"""The metric names a PromQL expression selects (enough PromQL for dashboards and rules)."""

from __future__ import annotations

import re

__all__ = ["exported_names", "metric_names"]

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
# Not after a digit or a dot: the exponent of 1e3 is no name.
_IDENT = re.compile(r"(?<![\w.])[a-zA-Z_:][\w:]*")
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}
_SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_sum", "_count"),
    "summary": ("", "_sum", "_count"),
}


def metric_names(expr: str) -> set[str]:
    """Every metric an expression reads; a name followed by `(` is a function."""
    for pattern in (_STRINGS, _MATCHERS, _RANGES, _GROUPING):
        expr = pattern.sub(" ", expr)
    names = set()
    for match in _IDENT.finditer(expr):
        if expr[match.end() :].lstrip().startswith("("):
            continue
        if match.group().lower() not in _KEYWORDS:
            names.add(match.group())
    return names


def exported_names(families: list[tuple[str, str]]) -> set[str]:
    """The series names a /metrics page can produce, from its (family, type) pairs:
    counters as <name>_total, histograms as <name>_bucket/_sum/_count."""
    names = set()
    for name, kind in families:
        for suffix in _SUFFIXES.get(kind, ("",)):
            names.add(name + suffix)
    return names
