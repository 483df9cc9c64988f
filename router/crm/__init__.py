"""CRM connectors: lead changes -> HubSpot (batched, rate-limited, written once each)."""

from router.crm.connectors import build_connectors, token_names
from router.crm.service import CrmService

__all__ = ["CrmService", "build_connectors", "token_names"]
