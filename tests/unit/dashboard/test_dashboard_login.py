"""The dashboard app's one login dependency: every page but the login form needs a session."""

from __future__ import annotations

import httpx
import pytest
from fastapi.routing import APIRoute

from ingest.dashboard import create_dashboard
from ingest.dashboard.app import PAGES


def _pages() -> list[tuple[str, str]]:
    found = []
    for route in (route for pages in PAGES for route in pages.routes):
        if isinstance(route, APIRoute):
            path = route.path.replace("{lead_id}", "ld_x").replace("{account_id}", "acme")
            found += [(method, path) for method in sorted(route.methods)]
    return found


def test_the_dashboard_has_pages_behind_the_login() -> None:
    """The pages a person sees: funnel, leads, a lead, an account, alerts, model, replay."""
    paths = {path for _, path in _pages()}
    assert {"/", "/leads", "/leads/ld_x", "/accounts/acme", "/alerts", "/model"} <= paths
    assert {"/alerts/replay", "/live.json"} <= paths


@pytest.mark.parametrize(("method", "path"), _pages(), ids=lambda v: str(v))
async def test_without_a_session_a_page_sends_to_the_login_form(method: str, path: str) -> None:
    """No session cookie: the login form's address (303), or a 401 for the JSON feed."""
    transport = httpx.ASGITransport(app=create_dashboard())
    async with httpx.AsyncClient(transport=transport, base_url="http://lp.test") as client:
        response = await client.request(method, path)
    if path.endswith(".json"):
        assert response.status_code == 401
    else:
        assert response.status_code == 303
        assert response.headers["location"] == "/dashboard/login"
