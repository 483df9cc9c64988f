"""Versioned models in Valkey: publish, promote, roll back, read. One hash slot per model.

Keys (`{name}` is the model's name, a hash tag):
  lp:predict:{name}:versions  hash version -> model (msgspec JSON, `weights.encode_model`)
  lp:predict:{name}:seq       the last version number given
  lp:predict:{name}:live      the version predictions show (absent: no prediction)
  lp:predict:{name}:shadow    a version computed beside it and reported, never shown
  lp:predict:{name}:log       the newest 100 changes, JSON, newest first
  lp:predict:{name}:report    the backtest of the newest version trained (`report.Backtest`)
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from leadpulse.kernel.valkey import Valkey
from scorer.core.conversion.segments import DEFAULT_MODEL
from scorer.core.conversion.weights import LinearModel, decode_model, encode_model

__all__ = [
    "DEFAULT_MODEL",
    "ModelKeys",
    "promote",
    "publish",
    "read_model",
    "read_pointers",
    "rollback",
    "versions",
]


class ModelKeys:
    def __init__(self, name: str = DEFAULT_MODEL) -> None:
        prefix = f"lp:predict:{{{name}}}:"
        self.versions = prefix + "versions"
        self.seq = prefix + "seq"
        self.live = prefix + "live"
        self.shadow = prefix + "shadow"
        self.log = prefix + "log"
        self.report = prefix + "report"


def _int(raw: Any) -> int | None:
    return int(raw) if raw is not None else None


async def _note(redis: Valkey, keys: ModelKeys, action: str, version: int) -> None:
    entry = orjson.dumps({"at": time.time(), "action": action, "version": version})
    await redis.lpush(keys.log, entry)
    await redis.ltrim(keys.log, 0, 99)


async def publish(redis: Valkey, model: LinearModel, *, shadow: bool) -> int:
    """Store `model` as the next version: live when there is none yet or `shadow` is
    False, else in shadow. A model equal to the newest version is not stored again."""
    keys = ModelKeys(model.name)
    newest = _int(await redis.get(keys.seq))
    if newest is not None:
        held = await read_model(redis, model.name, newest)
        if held is not None and encode_model(_unversioned(held)) == encode_model(model):
            return newest
    version = int(await redis.incr(keys.seq))
    versioned = LinearModel(**{**_fields(model), "version": version})
    await redis.hset(keys.versions, str(version), encode_model(versioned))
    live = await redis.get(keys.live)
    if live is None or not shadow:
        await redis.set(keys.live, version)
        await redis.delete(keys.shadow)
        await _note(redis, keys, "published_live", version)
    else:
        await redis.set(keys.shadow, version)
        await _note(redis, keys, "published_shadow", version)
    return version


def _fields(model: LinearModel) -> dict[str, Any]:
    return {name: getattr(model, name) for name in model.__struct_fields__}


def _unversioned(model: LinearModel) -> LinearModel:
    return LinearModel(**{**_fields(model), "version": 0})


async def promote(redis: Valkey, name: str, version: int) -> None:
    """Make `version` live (the shadow, usually); raises KeyError for an unknown version."""
    keys = ModelKeys(name)
    if not await redis.hexists(keys.versions, str(version)):
        raise KeyError(version)
    await redis.set(keys.live, version)
    if _int(await redis.get(keys.shadow)) == version:
        await redis.delete(keys.shadow)
    await _note(redis, keys, "promoted", version)


async def rollback(redis: Valkey, name: str, version: int) -> None:
    """Make an earlier `version` live again; raises KeyError for an unknown version."""
    keys = ModelKeys(name)
    if not await redis.hexists(keys.versions, str(version)):
        raise KeyError(version)
    await redis.set(keys.live, version)
    await _note(redis, keys, "rolled_back", version)


async def read_pointers(redis: Valkey, name: str = DEFAULT_MODEL) -> tuple[int | None, int | None]:
    """(live version, shadow version)."""
    keys = ModelKeys(name)
    live, shadow = await redis.mget(keys.live, keys.shadow)
    return _int(live), _int(shadow)


async def read_model(redis: Valkey, name: str, version: int) -> LinearModel | None:
    raw = await redis.hget(ModelKeys(name).versions, str(version))
    return decode_model(raw) if raw is not None else None


async def versions(redis: Valkey, name: str = DEFAULT_MODEL) -> list[LinearModel]:
    raw = await redis.hgetall(ModelKeys(name).versions)
    return sorted((decode_model(v) for v in raw.values()), key=lambda m: m.version)


async def history(redis: Valkey, name: str = DEFAULT_MODEL) -> list[dict[str, Any]]:
    return [orjson.loads(e) for e in await redis.lrange(ModelKeys(name).log, 0, -1)]
