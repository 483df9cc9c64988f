"""What the dashboard's Model page shows: each configured model's versions and its stored
backtest, read from Valkey.

The trainer stores the backtest of each model it publishes (`registry.ModelKeys.report`,
with the version it was made for), so the page reads one key per model instead of the
outcomes topic.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from leadpulse.kernel.valkey import Valkey
from scorer.predict.registry import DEFAULT_MODEL, ModelKeys, read_pointers
from scorer.predict.report import Backtest

__all__ = ["model_page_data", "models_page_data", "store_backtest"]


async def store_backtest(redis: Valkey, result: Backtest, name: str = DEFAULT_MODEL) -> None:
    await redis.set(ModelKeys(name).report, msgspec.json.encode(result))


async def model_page_data(redis: Valkey, name: str = DEFAULT_MODEL) -> dict[str, Any]:
    """{live, shadow, backtest (or None)} for the Model page."""
    live, shadow = await read_pointers(redis, name)
    raw = await redis.get(ModelKeys(name).report)
    backtest = msgspec.to_builtins(msgspec.json.decode(raw, type=Backtest)) if raw else None
    return {"model": name, "live": live, "shadow": shadow, "backtest": backtest}


async def models_page_data(redis: Valkey, names: Sequence[str]) -> list[dict[str, Any]]:
    """`model_page_data` of each named model, in the configured order."""
    return [await model_page_data(redis, name) for name in names]
