"""CRM outcomes coming in from the CRMs themselves: HubSpot app webhooks and Salesforce
Outbound Messages, each verified as its vendor documents, deduplicated by the vendor's
delivery id, ordered per person, and published as `POST /v1/crm/events` publishes."""

from __future__ import annotations

from fastapi import APIRouter

from ingest.crm_inbound import hubspot_route, salesforce_route

__all__ = ["crm_inbound_routers"]


def crm_inbound_routers() -> tuple[APIRouter, ...]:
    return (hubspot_route.router, salesforce_route.router)
