"""The base every config model shares: frozen, unknown keys refused."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["ConfigModel"]


class ConfigModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
