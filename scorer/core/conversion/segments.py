"""Which learned model a lead belongs to: the first of `predict.models` that applies to it."""

from __future__ import annotations

from typing import Any

from scorer.core.config import Rules
from scorer.core.state import LeadState

__all__ = ["DEFAULT_MODEL", "model_for"]

DEFAULT_MODEL = "default"  # the model every lead belongs to unless `predict.models` says


def _value(state: LeadState, trait: str) -> str:
    raw: Any = state.traits.get(trait)
    if raw is None:
        raw = state.account_traits.get(trait)
    return "" if raw is None else str(raw).strip().lower()


def model_for(state: LeadState, rules: Rules) -> str | None:
    """The name of the lead's model; None when none applies (no catch-all model)."""
    for model in rules.predict.models:
        if all(
            _value(state, trait) in {v.strip().lower() for v in values}
            for trait, values in model.traits.items()
        ):
            return model.name
    return None
