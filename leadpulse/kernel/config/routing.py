"""Config of alert delivery: destinations, routes, owners, throttle, retries."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from leadpulse.kernel.config._base import ConfigModel
from leadpulse.kernel.domain import AlertType, Stage

__all__ = ["Destination", "Owner", "RetryPolicy", "Route", "RoutingConfig"]


class Destination(ConfigModel):
    name: str = Field(min_length=1, pattern=r"^[a-z0-9_-]+$")
    type: Literal["webhook", "slack", "hubspot", "salesforce"]
    url: str = Field(
        default="", description="webhook/slack: required; CRM: the API base URL (optional)"
    )
    secret_env: str | None = Field(
        default=None,
        pattern=r"^LP_[A-Z0-9_]+$",
        description="the LP_* variable holding its whsec_ secret(s), or a CRM token",
    )
    allow_private: bool = Field(
        default=False, description="allow a private, loopback or link-local address"
    )


class Route(ConfigModel):
    alerts: list[AlertType] | None = None
    stages: list[Stage] | None = None
    min_score: float | None = None
    min_p_convert: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="the lead's live p_convert at least this; an alert without one never matches",
    )
    accounts: list[str] | None = None
    territories: list[str] | None = None
    destinations: list[str] = Field(min_length=1)


class Owner(ConfigModel):
    name: str = Field(min_length=1)
    weight: int = Field(default=1, ge=1, le=100)
    available: bool = True
    territories: list[str] = Field(default_factory=list)


class RetryPolicy(ConfigModel):
    attempts: int = Field(default=6, ge=1, le=50)
    base_seconds: float = Field(default=0.5, gt=0)
    cap_seconds: float = Field(default=60, gt=0)
    jitter: float = Field(default=0.2, ge=0, le=1)
    connect_timeout_seconds: float = Field(default=3, gt=0)
    read_timeout_seconds: float = Field(default=10, gt=0)


class RoutingConfig(ConfigModel):
    destinations: list[Destination] = Field(default_factory=list)
    routes: list[Route] = Field(default_factory=list)
    owners: list[Owner] = Field(default_factory=list)
    territories: dict[str, str] = Field(
        default_factory=dict, description="country code -> territory name"
    )
    throttle_minutes: float = Field(default=60, ge=0)
    retry: RetryPolicy = RetryPolicy()
