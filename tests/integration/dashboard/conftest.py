"""The dashboard runs inside ingest: reuse ingest's served-app fixture (and the router's, for
pages showing what the router wrote)."""

from tests.integration.ingest.conftest import edge_factory
from tests.integration.router.support import router_settings, start_router

__all__ = ["edge_factory", "router_settings", "start_router"]
