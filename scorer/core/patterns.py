"""URL globs and regexes, compiled once with RE2 (linear time: a config cannot stall us)."""

from __future__ import annotations

from typing import Any

import re2

__all__ = ["Pattern", "compile_glob", "compile_regex"]

Pattern = Any  # re2's compiled pattern has no type stubs


def glob_to_regex(glob: str) -> str:
    """`*` is any run of characters, `?` one character; everything else is literal."""
    out = []
    for char in glob:
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        else:
            out.append(re2.escape(char))
    # (?s): a path a client sent may hold a line break, and `.` alone stops at one.
    return "^(?s:" + "".join(out) + ")$"


def compile_glob(glob: str) -> Pattern:
    return re2.compile(glob_to_regex(glob))


def compile_regex(pattern: str) -> Pattern:
    return re2.compile(pattern)
