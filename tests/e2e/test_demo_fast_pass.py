"""The demo form in a real Chromium, from a newcomer whose score alone is far from an mql:
the demo request itself makes the mql, and the alert in the inbox says so."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from aiokafka.partitioner import murmur2
from playwright.sync_api import BrowserContext

from leadpulse.kernel.settings import Settings
from tests.e2e.conftest import Stack, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


def _lead(stack: Stack, email: str) -> dict[str, Any] | None:
    with stack.api() as api:
        response = api.get(f"/v1/leads/{email}")
    return response.json() if response.status_code == 200 else None


def _partition(key: str) -> int:
    count = Settings.model_fields["kafka_partitions"].default
    return int((murmur2(key.encode()) & 0x7FFFFFFF) % count)


def _apart(visitor: str) -> str:
    """An email whose partition is not the visitor's: the identify crosses partitions."""
    while True:
        email = f"new.{uuid.uuid4().hex[:8]}@gmail.com"
        if _partition(f"email:{email}") != _partition(f"anon:{visitor}"):
            return email


def test_a_newcomers_demo_request_is_a_fast_pass_mql_in_the_inbox(
    person: BrowserContext, stack: Stack
) -> None:
    """A first visit to /demo/demo and the form: mql for the demo, and its alert delivered."""
    visitor = str(uuid.uuid4())
    email = _apart(visitor)
    person.add_cookies([{"name": "lp_id", "value": visitor, "url": stack.base}])
    page = person.new_page()
    page.goto(f"{stack.base}/demo/demo")
    page.fill("main input[name=email]", email)
    page.fill("main input[name=title]", "Analyst")
    page.click("main button[type=submit]")
    page.wait_for_url("**/demo/thanks")
    page.goto("about:blank")  # leaving the page flushes the snippet's batch

    def is_mql() -> dict[str, Any] | None:
        lead = _lead(stack, email)
        return lead if lead and lead["stage"] == "mql" else None

    lead = wait_for(is_mql, timeout=45)
    assert lead["score"]["total"] < 100
    assert lead["stage_history"][-1]["reason"] == "fast_pass"

    def alert_in_inbox() -> dict[str, Any] | None:
        inbox = page.request.get(f"{stack.base}/inbox.json").json()
        for item in inbox.get("alerts", inbox if isinstance(inbox, list) else []):
            body = item.get("alert") or item.get("body") or {}
            if body.get("type") == "mql" and body.get("lead", {}).get("lead_id") == lead["lead_id"]:
                return dict(body)
        return None

    alert = wait_for(alert_in_inbox, timeout=45)
    assert alert["reason"] == "fast_pass"
    assert alert["lead"]["stage"] == "mql"
