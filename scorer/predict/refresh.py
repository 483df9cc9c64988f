"""Loading the live models: each model's live and shadow versions, from Valkey into the
process's `LiveModels` (`scorer.core.conversion.live`), which deciding predicts with."""

from __future__ import annotations

import time
from collections.abc import Sequence

from leadpulse.kernel.valkey import Valkey
from scorer.core.conversion.live import LiveModels, Pair, live_models
from scorer.core.conversion.segments import DEFAULT_MODEL
from scorer.core.conversion.weights import LinearModel
from scorer.predict.registry import read_model, read_pointers

__all__ = ["REFRESH_SECONDS", "refresh"]

REFRESH_SECONDS = 1.0


async def refresh(
    redis: Valkey,
    *,
    names: Sequence[str] = (DEFAULT_MODEL,),
    now: float | None = None,
    force: bool = False,
) -> LiveModels:
    """Pick up a newly published, promoted or rolled back version of each named model."""
    models = live_models()
    at = time.monotonic() if now is None else now
    if not force and at - models.checked < REFRESH_SECONDS:
        return models
    models.checked = at
    others: dict[str, Pair] = {}
    for name in names:
        live, shadow = await read_pointers(redis, name)
        held_live, held_shadow = models.pair(name)
        pair = (
            await _load(redis, name, held_live, live),
            await _load(redis, name, held_shadow, shadow),
        )
        if name == DEFAULT_MODEL:
            models.live, models.shadow = pair
        elif pair != (None, None):
            others[name] = pair
    models.others = others
    return models


async def _load(
    redis: Valkey, name: str, held: LinearModel | None, version: int | None
) -> LinearModel | None:
    if version is None:
        return None
    if held is not None and held.version == version:
        return held
    return await read_model(redis, name, version)
