"""What `leadpulse model ...` does, as data: status, backtest, train, promote, roll back."""

from __future__ import annotations

from typing import Any

from leadpulse.kernel.config import load_config
from leadpulse.kernel.settings import Settings
from leadpulse.kernel.valkey import Valkey, connect_valkey
from scorer.predict import registry
from scorer.predict.report import Backtest, backtest
from scorer.predict.trainer import by_model, read_examples, train_and_publish

__all__ = ["model_backtest", "model_promote", "model_rollback", "model_status", "model_train"]


def _redis(settings: Settings) -> Valkey:
    return connect_valkey(settings)


async def model_status(settings: Settings, name: str = registry.DEFAULT_MODEL) -> dict[str, Any]:
    """Live and shadow versions, every version's summary, the recent changes."""
    redis = _redis(settings)
    try:
        live, shadow = await registry.read_pointers(redis, name)
        return {
            "model": name,
            "live": live,
            "shadow": shadow,
            "versions": [
                {
                    "version": m.version,
                    "kind": m.kind,
                    "examples": m.examples,
                    "positives": m.positives,
                    "features": len(m.weights),
                    "trained_until": m.trained_until,
                }
                for m in await registry.versions(redis, name)
            ],
            "history": await registry.history(redis, name),
        }
    finally:
        await redis.aclose()


def _nb_below(settings: Settings) -> int:
    return load_config(settings.config).predict.naive_bayes_below


async def model_backtest(
    settings: Settings, split: float = 0.5, name: str = registry.DEFAULT_MODEL
) -> Backtest | None:
    """The named model's backtest, on its own outcomes."""
    own = by_model(await read_examples(settings), [name])[name]
    return backtest(own, split, nb_below=_nb_below(settings))


async def model_train(
    settings: Settings, *, shadow: bool, name: str = registry.DEFAULT_MODEL
) -> int | None:
    """Train the named model on its outcomes now and publish; the version, None if none."""
    redis = _redis(settings)
    try:
        own = by_model(await read_examples(settings), [name])[name]
        published = await train_and_publish(
            redis, own, shadow=shadow, name=name, nb_below=_nb_below(settings)
        )
        return published[1] if published else None
    finally:
        await redis.aclose()


async def model_promote(
    settings: Settings, version: int, name: str = registry.DEFAULT_MODEL
) -> None:
    redis = _redis(settings)
    try:
        await registry.promote(redis, name, version)
    finally:
        await redis.aclose()


async def model_rollback(
    settings: Settings, version: int, name: str = registry.DEFAULT_MODEL
) -> None:
    redis = _redis(settings)
    try:
        await registry.rollback(redis, name, version)
    finally:
        await redis.aclose()
