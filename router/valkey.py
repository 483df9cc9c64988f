"""The Valkey client the router (and its DLQ commands) use, from LP_REDIS_URL."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster

from leadpulse.settings import Settings

__all__ = ["connect_valkey"]


def connect_valkey(settings: Settings) -> Any:
    """A redis.asyncio client (cluster-aware when LP_REDIS_CLUSTER); connects lazily."""
    if not settings.redis_url:
        raise ValueError("LP_REDIS_URL is not set: the router keeps its delivery records there")
    if settings.redis_cluster:
        return RedisCluster.from_url(settings.redis_url)
    return aioredis.Redis.from_url(settings.redis_url)
