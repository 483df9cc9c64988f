"""CRM outcomes coming in from the CRMs themselves: HubSpot app webhooks and Salesforce
Outbound Messages, each verified as its vendor documents, deduplicated by the vendor's
delivery id, ordered per person, and published as `POST /v1/crm/events` publishes."""

from __future__ import annotations

from fastapi import APIRouter

from ingest.crm_inbound import hubspot_route, salesforce_route
from ingest.crm_inbound.hubspot_contacts import ContactResolver
from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.settings import Settings

__all__ = ["ContactResolver", "crm_inbound_routers", "hubspot_resolver"]


def crm_inbound_routers() -> tuple[APIRouter, ...]:
    return (hubspot_route.router, salesforce_route.router)


def hubspot_resolver(settings: Settings, config: LeadPulseConfig) -> ContactResolver | None:
    """The HubSpot reader the webhook endpoint needs, when LP_HUBSPOT_TOKEN is set."""
    if settings.hubspot_token is None:
        return None
    hubspot = config.crm.inbound.hubspot
    return ContactResolver(
        settings.hubspot_base_url,
        settings.hubspot_token.get_secret_value(),
        hubspot.resolve_timeout_seconds,
        hubspot.max_contacts_per_deal,
    )
