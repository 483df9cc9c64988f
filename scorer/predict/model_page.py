"""What the dashboard's Model page shows: versions and the stored backtest, read from Valkey.

The trainer stores the backtest of each model it publishes (`registry.ModelKeys.report`),
so the page reads one key instead of the outcomes topic.
"""

from __future__ import annotations

from typing import Any

import msgspec

from leadpulse.kernel.valkey import Valkey
from scorer.predict.registry import DEFAULT_MODEL, ModelKeys, read_pointers
from scorer.predict.report import Backtest

__all__ = ["model_page_data", "store_backtest"]


async def store_backtest(redis: Valkey, result: Backtest, name: str = DEFAULT_MODEL) -> None:
    await redis.set(ModelKeys(name).report, msgspec.json.encode(result))


async def model_page_data(redis: Valkey, name: str = DEFAULT_MODEL) -> dict[str, Any]:
    """{live, shadow, backtest (or None)} for the Model page."""
    live, shadow = await read_pointers(redis, name)
    raw = await redis.get(ModelKeys(name).report)
    backtest = msgspec.to_builtins(msgspec.json.decode(raw, type=Backtest)) if raw else None
    return {"model": name, "live": live, "shadow": shadow, "backtest": backtest}
