"""The Lua scripts in scorer/lua, loaded once per connection (every primary on a cluster)."""

from __future__ import annotations

import hashlib
from importlib import resources
from typing import Any

__all__ = ["Scripts", "connect_redis"]


def _source(name: str) -> str:
    return resources.files("scorer").joinpath("lua", name).read_text(encoding="utf-8")


class Scripts:
    """SHA1s of apply.lua and sla_fire.lua; `load` puts them into the server's cache."""

    def __init__(self) -> None:
        self.apply_src = _source("apply.lua")
        self.sla_src = _source("sla_fire.lua")
        self.apply = hashlib.sha1(self.apply_src.encode(), usedforsecurity=False).hexdigest()
        self.sla = hashlib.sha1(self.sla_src.encode(), usedforsecurity=False).hexdigest()

    async def load(self, redis: Any) -> None:
        await redis.script_load(self.apply_src)
        await redis.script_load(self.sla_src)


def connect_redis(url: str, cluster: bool) -> Any:
    """A redis.asyncio client (Redis or RedisCluster) for `url`; connects lazily."""
    if cluster:
        from redis.asyncio.cluster import RedisCluster

        return RedisCluster.from_url(url)
    from redis.asyncio import Redis

    return Redis.from_url(url)
