"""What a CRM record gets from a lead change: LeadPulse's custom fields and the lifecycle
stage. Pure: values in, values out."""

from __future__ import annotations

from dataclasses import dataclass

from leadpulse.kernel.config.connectors import HUBSPOT_LIFECYCLE, HubSpotConfig
from leadpulse.kernel.lead_change import LeadChange

__all__ = [
    "CHANGE_PROPERTY",
    "PROPERTIES",
    "PropertySpec",
    "hubspot_properties",
    "lead_url",
    "lifecycle_move",
]

# The change id last written: how a restarted router reads back whether its batch landed.
CHANGE_PROPERTY = "leadpulse_change_id"


@dataclass(frozen=True)
class PropertySpec:
    """A custom contact property, as HubSpot's properties API creates it."""

    name: str
    label: str
    type: str  # string | number
    field_type: str  # text | textarea | number


PROPERTIES: tuple[PropertySpec, ...] = (
    PropertySpec("leadpulse_score", "LeadPulse score", "number", "number"),
    PropertySpec("leadpulse_engagement", "LeadPulse engagement", "number", "number"),
    PropertySpec("leadpulse_fit", "LeadPulse fit", "number", "number"),
    PropertySpec("leadpulse_p_convert", "LeadPulse conversion probability", "number", "number"),
    PropertySpec("leadpulse_stage", "LeadPulse stage", "string", "text"),
    PropertySpec("leadpulse_consideration", "LeadPulse consideration", "string", "text"),
    PropertySpec("leadpulse_interests", "LeadPulse interests", "string", "text"),
    PropertySpec("leadpulse_top_reasons", "LeadPulse top reasons", "string", "textarea"),
    PropertySpec("leadpulse_last_alert", "LeadPulse last alert", "string", "text"),
    PropertySpec("leadpulse_url", "LeadPulse lead page", "string", "text"),
    PropertySpec(CHANGE_PROPERTY, "LeadPulse change id", "string", "text"),
)


def lead_url(base_url: str, lead_id: str) -> str:
    return f"{base_url.rstrip('/')}/dashboard/leads/{lead_id}"


def _number(value: float) -> str:
    return f"{value:g}"


def hubspot_properties(change: LeadChange, base_url: str) -> dict[str, str]:
    """The custom properties of one contact (HubSpot takes every value as a string)."""
    return {
        "leadpulse_score": _number(change.score),
        "leadpulse_engagement": _number(change.engagement),
        "leadpulse_fit": _number(change.fit),
        # Empty until a model is live: HubSpot clears a number property set to "".
        "leadpulse_p_convert": "" if change.p_convert is None else _number(change.p_convert),
        "leadpulse_stage": change.stage,
        "leadpulse_consideration": change.consideration or "",
        "leadpulse_interests": ";".join(change.interests),
        "leadpulse_top_reasons": change.reasons_text,
        "leadpulse_last_alert": change.last_alert or "",
        "leadpulse_url": lead_url(base_url, change.lead_id),
        CHANGE_PROPERTY: change.change_id,
    }


def lifecycle_move(
    stage: str, written: int | None, config: HubSpotConfig
) -> tuple[str, int] | None:
    """The `lifecyclestage` to write and its rank, or None to leave it alone.

    HubSpot only moves a contact's lifecycle stage forward through the API (a backward
    value is ignored unless the property is cleared first), so LeadPulse sends a stage only
    when it is past the highest one it wrote for that contact: a recycled lead stays
    where sales had it in HubSpot, and `leadpulse_stage` says where LeadPulse has it.
    """
    if config.lifecycle == "off":
        return None
    value = config.lifecycle_map.get(stage)  # type: ignore[call-overload]
    if value is None:
        return None
    rank = HUBSPOT_LIFECYCLE.index(value)
    if written is not None and rank <= written:
        return None
    return value, rank
