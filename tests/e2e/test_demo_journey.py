"""A person on the demo site, in a real Chromium: what they do reaches LeadPulse, and only
with consent."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import BrowserContext

from tests.e2e.conftest import Stack, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


def _lead(stack: Stack, email: str) -> dict | None:  # type: ignore[type-arg]
    with stack.api() as api:
        response = api.get(f"/v1/leads/{email}")
    return response.json() if response.status_code == 200 else None


def _subscribe(context: BrowserContext, stack: Stack, email: str) -> None:
    page = context.new_page()
    page.goto(f"{stack.base}/demo/")
    page.fill("footer input[name=email]", email)
    page.click("footer button[type=submit]")
    page.wait_for_url("**/demo/thanks")
    page.goto("about:blank")  # leaving the page flushes the snippet's batch
    page.close()


def test_anonymous_pages_follow_the_visitor_into_the_lead(
    person: BrowserContext, stack: Stack
) -> None:
    """Pages read before the newsletter sign-up show up on the lead the sign-up created."""
    email = f"ana.{uuid.uuid4().hex[:8]}@globex.example"
    page = person.new_page()
    for path in ("blog/five-trends-2027", "pricing", "case-studies/globex"):
        page.goto(f"{stack.base}/demo/{path}")
    page.close()
    _subscribe(person, stack, email)

    def has_pages() -> dict | None:  # type: ignore[type-arg]
        lead = _lead(stack, email)
        if not lead:
            return None
        paths = {item.get("path") or item.get("url", "") for item in lead.get("timeline", [])}
        wanted = {"/demo/blog/five-trends-2027", "/demo/pricing", "/demo/case-studies/globex"}
        return lead if all(any(w in p for p in paths) for w in wanted) else None

    lead = wait_for(has_pages, timeout=45)
    assert lead["stage"] in ("lead", "nurturing")
    assert lead["consideration"] in ("mid", "late")
    assert "pricing" in lead["interests"]


def test_a_demo_request_sends_a_verified_mql_alert_to_the_inbox(
    person: BrowserContext, stack: Stack
) -> None:
    """The demo form is a fast pass: the lead is an MQL and /inbox holds its verified alert."""
    email = f"dev.{uuid.uuid4().hex[:8]}@acme-industrial.example"
    page = person.new_page()
    page.goto(f"{stack.base}/demo/demo")
    page.fill("main input[name=email]", email)
    page.fill("main input[name=name]", "Dev Patel")
    page.fill("main input[name=title]", "VP Operations")
    page.click("main button[type=submit]")
    page.wait_for_url("**/demo/thanks")
    page.goto("about:blank")

    def is_mql() -> dict | None:  # type: ignore[type-arg]
        lead = _lead(stack, email)
        return lead if lead and lead["stage"] == "mql" else None

    lead = wait_for(is_mql, timeout=45)

    def alert_in_inbox() -> dict | None:  # type: ignore[type-arg]
        inbox = page.request.get(f"{stack.base}/inbox.json").json()
        for item in inbox.get("alerts", inbox if isinstance(inbox, list) else []):
            body = item.get("alert") or item.get("body") or {}
            if body.get("type") == "mql" and body.get("lead", {}).get("lead_id") == lead["lead_id"]:
                return item
        return None

    item = wait_for(alert_in_inbox, timeout=45)
    assert item["verified"] is True
    page.goto(f"{stack.base}/inbox")
    assert page.locator("text=verified").first.is_visible()


def test_a_browser_with_global_privacy_control_sends_nothing(browser, stack: Stack) -> None:  # type: ignore[no-untyped-def]
    """With GPC on, the snippet sends no beacon at all, and no lead appears for the email."""
    from tests.e2e.conftest import PERSON_UA

    context = browser.new_context(user_agent=PERSON_UA)
    # Chromium has no GPC switch; Firefox and Brave expose it exactly like this.
    context.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})"
    )
    sent: list[str] = []
    context.on("request", lambda r: sent.append(r.url) if "/v1/collect" in r.url else None)
    email = f"gpc.{uuid.uuid4().hex[:8]}@globex.example"
    page = context.new_page()
    page.goto(f"{stack.base}/demo/pricing")
    assert page.evaluate("navigator.globalPrivacyControl") is True
    page.close()
    _subscribe(context, stack, email)
    context.close()
    assert sent == []
    assert _lead(stack, email) is None
