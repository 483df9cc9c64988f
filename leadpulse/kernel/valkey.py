"""The one Valkey/Redis client factory (a single node or a cluster) and its client type.

Clients are made without decode_responses: replies are bytes, which the Lua results and
stored JSON want; `text` turns a reply into a string where one is needed.
"""

from __future__ import annotations

from typing import TypeAlias

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ClusterDownError, RedisClusterException, RedisError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from leadpulse.kernel.settings import Settings

__all__ = ["VALKEY_AWAY", "VALKEY_FAILED", "Valkey", "connect_valkey", "text", "valkey_at"]

Valkey: TypeAlias = Redis | RedisCluster

# What redis-py raises while Valkey is away: down, loading, failing over, or a cluster with
# no reachable node. RedisClusterException is not a RedisError, so it is named here.
VALKEY_AWAY: tuple[type[Exception], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    ClusterDownError,
    RedisClusterException,
    OSError,
)
# Any failed Valkey call, for an edge that answers 503 rather than guess which it was.
VALKEY_FAILED: tuple[type[Exception], ...] = (RedisError, RedisClusterException, OSError)

# How long a command waits for a free pooled connection before it fails (retriably).
POOL_WAIT_SECONDS = 10.0


def connect_valkey(settings: Settings) -> Valkey:
    """A client for LP_REDIS_URL (a cluster client when LP_REDIS_CLUSTER); connects lazily."""
    if not settings.redis_url:
        raise ValueError("LP_REDIS_URL is not set: LeadPulse keeps its state in Valkey/Redis")
    return valkey_at(
        settings.redis_url,
        cluster=settings.redis_cluster,
        max_connections=settings.redis_max_connections,
    )


def valkey_at(url: str, *, cluster: bool = False, max_connections: int = 100) -> Valkey:
    """A client for `url`; connects lazily.

    The pool is bounded and blocking: redis-py's default pool raises MaxConnectionsError
    as soon as 100 commands are in flight, which a router with hundreds of alerts under
    way reaches; waiting for a free connection is what a busy process wants.
    """
    if cluster:
        # redis-py's cluster client has no blocking pool: past `max_connections` on a node
        # a command fails with a retriable MaxConnectionsError.
        return RedisCluster.from_url(url, max_connections=max_connections)
    pool = BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=POOL_WAIT_SECONDS
    )
    return Redis.from_pool(pool)


def text(reply: bytes | str) -> str:
    """A reply as text."""
    return reply.decode() if isinstance(reply, bytes) else reply
