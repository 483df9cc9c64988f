"""Fixtures for the router's integration tests: settings on the real broker and Valkey."""

from tests.integration.router.support import router_settings, start_router

__all__ = ["router_settings", "start_router"]
