"""Config of CRM outcomes coming in: which HubSpot and Salesforce values are which outcome.

Keys are the vendor's own values (HubSpot deal stage ids and lifecycle stages, Salesforce
Opportunity `StageName` and Lead `Status` values); values are the outcomes of
`POST /v1/crm/events`. A value missing from a map is not an outcome: the notification is
acknowledged and ignored.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from leadpulse.kernel.config._base import ConfigModel
from leadpulse.kernel.domain import CrmOutcome

__all__ = [
    "CrmInboundConfig",
    "CrmOutcome",
    "HubSpotInbound",
    "SalesforceInbound",
    "SalesforceObject",
]

SalesforceObject = Literal["Opportunity", "Lead"]

# An API field name as Salesforce spells them (`Email`, `LeadPulse_Email__c`).
SalesforceField = Annotated[
    str, StringConstraints(max_length=80, pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
]
VendorValue = Annotated[str, StringConstraints(min_length=1, max_length=255)]

_DEAL_STAGES = {"closedwon": CrmOutcome.WON, "closedlost": CrmOutcome.LOST}
_LIFECYCLE_STAGES = {"customer": CrmOutcome.WON}
_LEAD_STATUSES = {
    "Working - Contacted": CrmOutcome.ACCEPTED,
    "Closed - Converted": CrmOutcome.QUALIFIED,
    "Closed - Not Converted": CrmOutcome.NOT_NOW,
}
_EMAIL_FIELDS: dict[SalesforceObject, list[str]] = {
    "Opportunity": ["LeadPulse_Email__c"],
    "Lead": ["Email"],
}


class HubSpotInbound(ConfigModel):
    # closedwon/closedlost are the default pipeline's ids; custom pipelines add their own.
    deal_stages: dict[VendorValue, CrmOutcome] = Field(
        default_factory=lambda: dict(_DEAL_STAGES),
        description="deal stage id -> outcome",
    )
    # LeadPulse writes lifecyclestage itself (only forward), so only `customer` comes back
    # by default: echoes of our own lower-stage writes would otherwise be outcomes.
    lifecycle_stages: dict[VendorValue, CrmOutcome] = Field(
        default_factory=lambda: dict(_LIFECYCLE_STAGES),
        description="contact lifecyclestage -> outcome",
    )
    ignore_source_ids: list[VendorValue] = Field(
        default_factory=list,
        description="webhook sourceId values to ignore (LeadPulse's own app, to skip echoes)",
    )
    max_contacts_per_deal: int = Field(default=20, ge=1, le=100)
    # HubSpot gives up on a webhook after 5 s and retries it: answer well before that.
    resolve_timeout_seconds: float = Field(default=3.0, gt=0, le=4.5)


class SalesforceInbound(ConfigModel):
    # IsWon=true is `won` and IsClosed=true (not won) is `lost` before this map is read.
    opportunity_stages: dict[VendorValue, CrmOutcome] = Field(
        default_factory=dict, description="open Opportunity StageName -> outcome"
    )
    lead_statuses: dict[VendorValue, CrmOutcome] = Field(
        default_factory=lambda: dict(_LEAD_STATUSES),
        description="Lead Status -> outcome",
    )
    email_fields: dict[SalesforceObject, list[SalesforceField]] = Field(
        default_factory=lambda: {k: list(v) for k, v in _EMAIL_FIELDS.items()},
        description="sObject fields tried in order for the person's email",
    )
    lead_id_field: SalesforceField = Field(
        default="LeadPulse_Id__c",
        description="sObject field holding the LeadPulse lead id, used when no email is sent",
    )

    def fields_for(self, kind: SalesforceObject) -> list[str]:
        return self.email_fields.get(kind, [])


class CrmInboundConfig(ConfigModel):
    hubspot: HubSpotInbound = HubSpotInbound()
    salesforce: SalesforceInbound = SalesforceInbound()
