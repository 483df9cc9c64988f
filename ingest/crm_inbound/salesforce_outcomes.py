"""Which Salesforce notifications are CRM outcomes, and about whom: pure decisions.

- Opportunity: `IsWon` true is `won`; else `IsClosed` true is `lost`; else the open
  `StageName` through `crm.inbound.salesforce.opportunity_stages`.
- Lead: `Status` through `crm.inbound.salesforce.lead_statuses`.
- The person: the first non-empty field of `email_fields` for the object (an Opportunity
  has no email of its own: the outbound message must send a field that holds it, such as a
  formula field `LeadPulse_Email__c`), else the LeadPulse lead id in `lead_id_field`.
- The change's time: `SystemModstamp`, else `LastModifiedDate`, when the message sends one;
  it orders notifications for one person (an older one never undoes a newer outcome).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

from ingest.crm_inbound.salesforce_soap import Notification
from leadpulse.kernel.config.crm_inbound import CrmOutcome, SalesforceInbound, SalesforceObject

__all__ = ["SalesforceChange", "outcome_of"]


class SalesforceChange(NamedTuple):
    notification: Notification
    outcome: CrmOutcome
    email: str | None
    lead_id: str | None
    changed_at: datetime | None

    @property
    def reason(self) -> str:
        record = self.notification.fields.get("Id") or "?"
        return f"salesforce {self.notification.object_type} {record}"


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def _outcome(item: Notification, config: SalesforceInbound) -> CrmOutcome | None:
    fields = item.fields
    if item.object_type == "Opportunity":
        if _true(fields.get("IsWon")):
            return CrmOutcome.WON
        if _true(fields.get("IsClosed")):
            return CrmOutcome.LOST
        return config.opportunity_stages.get(fields.get("StageName") or "")
    if item.object_type == "Lead":
        return config.lead_statuses.get(fields.get("Status") or "")
    return None


def _when(fields: dict[str, str | None]) -> datetime | None:
    for name in ("SystemModstamp", "LastModifiedDate"):
        value = fields.get(name)
        if not value:
            continue
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            continue
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return None


def outcome_of(item: Notification, config: SalesforceInbound) -> SalesforceChange | None:
    """The outcome this notification stands for, or None when it is none (or no one's)."""
    if item.object_type not in ("Opportunity", "Lead"):
        return None
    outcome = _outcome(item, config)
    if outcome is None:
        return None
    fields = item.fields
    kind: SalesforceObject = "Opportunity" if item.object_type == "Opportunity" else "Lead"
    email = next((v for name in config.fields_for(kind) if (v := fields.get(name))), None)
    lead_id = fields.get(config.lead_id_field) or None
    if email is None and lead_id is None:
        return None
    return SalesforceChange(item, outcome, email, lead_id, _when(fields))
