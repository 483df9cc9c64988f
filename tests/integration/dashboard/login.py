"""Logging in to the dashboard from a test client."""

from __future__ import annotations

import httpx

from tests.conftest import SECRET_KEY

__all__ = ["login"]


async def login(client: httpx.AsyncClient) -> dict[str, str]:
    """The session cookie header after logging in with the secret key."""
    response = await client.post(
        "/dashboard/login",
        content=f"key={SECRET_KEY}",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 303
    # The cookie is Secure; a browser sends it to 127.0.0.1, httpx's jar does not.
    return {"cookie": f"lp_session={response.cookies['lp_session']}"}
