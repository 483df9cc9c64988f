"""The dashboard at `/dashboard`: funnel, leads, accounts, alerts and the model, for people."""

from ingest.dashboard.app import create_dashboard, mount

__all__ = ["create_dashboard", "mount"]
