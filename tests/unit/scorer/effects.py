"""Reading a run's effects back out of its WriteSet, for the scorer's unit tests."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from leadpulse.kernel.config import load_config
from scorer.core.config import Rules
from scorer.core.effects import EffectLog
from scorer.core.state import LeadState
from scorer.core.steps import Step
from scorer.storage.effects import apply_effects
from scorer.storage.keys import PartitionKeys
from scorer.storage.view import PartitionView
from scorer.storage.writes import WriteSet
from tests.unit.scorer.events import at

RULES = Rules.from_config(load_config().scoring)
DAY = 86_400.0


def rules_with(**stages: Any) -> Rules:
    """The default rules with some `scoring.stages` settings changed (`sla` as a dict)."""
    config = load_config().scoring
    sla = config.stages.sla.model_copy(update=stages.pop("sla", {}))
    changed = config.stages.model_copy(update={**stages, "sla": sla})
    return Rules.from_config(config.model_copy(update={"stages": changed}))


def view(partition: int = 0) -> PartitionView:
    return PartitionView(PartitionKeys(partition), -1)


def t(minutes: float = 0, days: float = 0) -> float:
    """`events.at` as epoch seconds, the scorer's time."""
    return at(minutes, days).timestamp()


def funnel(ws: WriteSet) -> dict[str, int]:
    """The run's net funnel counter changes, as `kind|field` -> by (zeros left out)."""
    keys, ops = ws.ops()
    counts: Counter[str] = Counter()
    for op in ops:
        if op[0] == "hincr" and ":f:" in keys[int(op[1]) - 1]:
            kind = keys[int(op[1]) - 1].rsplit(":", 1)[-1]
            counts[f"{kind}|{op[2]}"] += int(op[3])
    return {field: n for field, n in counts.items() if n}


def zops(ws: WriteSet, key: str) -> list[list[Any]]:
    """The sorted-set ops of the run on `key`, without the key index."""
    keys, ops = ws.ops()
    return [[op[0], *op[2:]] for op in ops if op[0].startswith("z") and keys[int(op[1]) - 1] == key]


def lead(lead_id: str = "ld_1", *, email: str | None = "ann@initech.example") -> LeadState:
    """A lead as the scorer would hold it before any event: no stage history yet."""
    keys = [f"email:{email}"] if email else [f"anon:{lead_id}"]
    return LeadState(lead_id=lead_id, created=t(), stage_at=t(), keys=keys, email=email)


def step(
    at_: float,
    event_id: str,
    flags: str = "i",
    points: float = 0.0,
    fit: float = 0.0,
    extra: Any = None,
) -> Step:
    """One event's stage record, with its points for the default model."""
    return Step(at_, event_id, flags, {"default": points}, {"default": fit}, None, None, extra)


def applied(
    v: PartitionView, ws: WriteSet, decide: Callable[..., object], *args: Any, **kw: Any
) -> WriteSet:
    """Run `decide(log, *args, **kw)` and apply the effects it logged to `v` and `ws`."""
    log = EffectLog()
    decide(log, *args, **kw)
    apply_effects(log.effects(), v, ws)
    return ws
