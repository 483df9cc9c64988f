"""Config of the CRMs: when a lead change is due, and how each CRM is written (rate,
batches, lifecycle stage map, retries), whose destinations are routing destinations of type
`hubspot` or `salesforce`; and, under `inbound`, which CRM values are which outcome."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field

from leadpulse.kernel.config._base import ConfigModel
from leadpulse.kernel.config.crm_inbound import CrmInboundConfig
from leadpulse.kernel.config.routing import RetryPolicy
from leadpulse.kernel.domain import Stage

__all__ = [
    "HUBSPOT_LIFECYCLE",
    "CrmConfig",
    "HubSpotConfig",
    "Lifecycle",
    "SalesforceConfig",
]

Lifecycle = Literal[
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
]
# HubSpot's own order of `lifecyclestage`: forward is later in this tuple.
HUBSPOT_LIFECYCLE: tuple[Lifecycle, ...] = get_args(Lifecycle)

_DEFAULT_LIFECYCLE: dict[Stage, Lifecycle] = {
    Stage.VISITOR: "subscriber",
    Stage.LEAD: "lead",
    Stage.NURTURING: "lead",
    Stage.MQL: "marketingqualifiedlead",
    # HubSpot has no "accepted" stage: an accepted MQL stays an MQL until qualified.
    Stage.SAL: "marketingqualifiedlead",
    Stage.SQL: "salesqualifiedlead",
    Stage.OPPORTUNITY: "opportunity",
    Stage.CUSTOMER: "customer",
    Stage.RECYCLE: "lead",
    Stage.DEAD_END: "other",
}


def _retry() -> RetryPolicy:
    return RetryPolicy(attempts=8, base_seconds=1.0, cap_seconds=60.0)


class HubSpotConfig(ConfigModel):
    requests_per_window: int = Field(
        default=100,
        ge=1,
        le=1000,
        description="HubSpot: 100 per 10 s on Free and Starter, 190 on Professional/Enterprise",
    )
    window_seconds: float = Field(default=10.0, gt=0, le=3600)
    batch_size: int = Field(default=100, ge=1, le=100, description="HubSpot takes 100 inputs")
    linger_seconds: float = Field(
        default=1.0, ge=0, le=60, description="how long changes gather before a batch goes"
    )
    lifecycle: Literal["forward", "off"] = Field(
        default="forward",
        description="forward: move lifecyclestage only forward; off: never write it",
    )
    lifecycle_map: dict[Stage, Lifecycle] = Field(default_factory=lambda: dict(_DEFAULT_LIFECYCLE))
    property_group: str = Field(default="leadpulse", pattern=r"^[a-z][a-z0-9_]*$")
    portal_id: int | None = Field(
        default=None, ge=1, description="the HubSpot account id: the dashboard links contacts"
    )
    retry: RetryPolicy = Field(default_factory=_retry)


class SalesforceConfig(ConfigModel):
    requests_per_window: int = Field(
        default=15_000,
        ge=1,
        description="the share of the org's daily API allowance LeadPulse may spend",
    )
    window_seconds: float = Field(default=86_400.0, gt=0)
    batch_size: int = Field(default=200, ge=1, le=200, description="sObject Collections: 200")
    linger_seconds: float = Field(default=1.0, ge=0, le=60)
    api_version: str = Field(default="60.0", pattern=r"^[0-9]{2}\.0$")
    unknown: str = Field(
        default="[not provided]",
        min_length=1,
        description="LastName or Company of a new Lead when the email gives none",
    )
    retry: RetryPolicy = Field(default_factory=_retry)


class CrmConfig(ConfigModel):
    score_step: float = Field(
        default=10.0, gt=0, description="a score change this large since the last one is sent"
    )
    hubspot: HubSpotConfig = HubSpotConfig()
    salesforce: SalesforceConfig = SalesforceConfig()
    inbound: CrmInboundConfig = CrmInboundConfig()
