"""The dashboard at `/dashboard`: funnel, leads, accounts and alerts, for people."""

from ingest.dashboard.views import router

__all__ = ["router"]
