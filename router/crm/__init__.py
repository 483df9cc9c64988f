"""CRM connectors: lead changes -> HubSpot (batched, rate-limited, written once each)."""

from router.crm.connectors import build_connectors, token_names
from router.crm.dlq import open_crm_dead_letters, replay_crm_dead_letters
from router.crm.service import CrmService

__all__ = [
    "CrmService",
    "build_connectors",
    "open_crm_dead_letters",
    "replay_crm_dead_letters",
    "token_names",
]
