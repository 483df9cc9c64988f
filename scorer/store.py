"""Read-only access to scoring state, for ingest's read API and dashboard."""

from __future__ import annotations

from typing import Any

__all__ = ["is_suppressed"]


async def is_suppressed(redis: Any, identity_keys: list[str]) -> bool:
    """Whether any of these identities belongs to a forgotten person."""
    return False
