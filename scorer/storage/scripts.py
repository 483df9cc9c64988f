"""The Lua scripts in scorer/storage/lua, by SHA1, and how to run them when the server forgot them.

A restarted Valkey (or `SCRIPT FLUSH`, or a failover to a replica that never saw SCRIPT LOAD)
answers NOSCRIPT to every EVALSHA. That says nothing about the data: the scripts are
loaded again (SCRIPT LOAD goes to every primary of a cluster) and the call is repeated.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from typing import Any

import structlog
from redis.exceptions import NoScriptError

from leadpulse.kernel.valkey import Valkey
from scorer.metrics import SCRIPT_RELOADS

__all__ = ["Scripts"]

log = structlog.get_logger("scorer.storage.scripts")


def _source(name: str) -> str:
    return resources.files("scorer.storage").joinpath("lua", name).read_text(encoding="utf-8")


def _sha(source: str) -> str:
    return hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()


class Scripts:
    """SHA1s of apply.lua, sla_fire.lua and log_reset.lua; `load` puts them in the cache."""

    def __init__(self) -> None:
        self.apply_src = _source("apply.lua")
        self.sla_src = _source("sla_fire.lua")
        self.reset_src = _source("log_reset.lua")
        self.apply = _sha(self.apply_src)
        self.sla = _sha(self.sla_src)
        self.reset = _sha(self.reset_src)

    async def load(self, redis: Valkey) -> None:
        for source in (self.apply_src, self.sla_src, self.reset_src):
            await redis.script_load(source)

    async def reload(self, redis: Valkey, why: str) -> None:
        """Load every script again after a NOSCRIPT answer (a restarted or flushed server)."""
        SCRIPT_RELOADS.inc()
        log.warning("scripts_reloaded", reason=why)
        await self.load(redis)

    async def run(self, redis: Valkey, sha: str, keys: list[str], args: list[Any]) -> Any:
        """EVALSHA outside a pipeline; on NOSCRIPT, reload and call once more."""
        try:
            return await redis.execute_command("EVALSHA", sha, len(keys), *keys, *args)
        except NoScriptError:
            await self.reload(redis, "noscript")
        return await redis.execute_command("EVALSHA", sha, len(keys), *keys, *args)
