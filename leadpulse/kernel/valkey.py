"""The one Valkey/Redis client factory (a single node or a cluster) and its client type.

Clients are made without decode_responses: replies are bytes, which the Lua results and
stored JSON want; `text` turns a reply into a string where one is needed.
"""

from __future__ import annotations

from typing import TypeAlias

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from leadpulse.kernel.settings import Settings

__all__ = ["Valkey", "connect_valkey", "text", "valkey_at"]

Valkey: TypeAlias = Redis | RedisCluster


def connect_valkey(settings: Settings) -> Valkey:
    """A client for LP_REDIS_URL (a cluster client when LP_REDIS_CLUSTER); connects lazily."""
    if not settings.redis_url:
        raise ValueError("LP_REDIS_URL is not set: LeadPulse keeps its state in Valkey/Redis")
    return valkey_at(settings.redis_url, cluster=settings.redis_cluster)


def valkey_at(url: str, *, cluster: bool = False) -> Valkey:
    """A client for `url`; connects lazily."""
    if cluster:
        return RedisCluster.from_url(url)
    return Redis.from_url(url)


def text(reply: bytes | str) -> str:
    """A reply as text."""
    return reply.decode() if isinstance(reply, bytes) else reply
