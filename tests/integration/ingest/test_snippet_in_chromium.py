"""The /lp.js snippet in a real Chromium (Debian's, via Playwright) on the demo pages."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, async_playwright

from tests.integration.ingest.conftest import Edge, consume

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]

# Headless Chromium says HeadlessChrome, rightly flagged as a bot; this plays a person.
PERSON_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


@pytest.fixture
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        yield browser
        await browser.close()


async def test_pages_and_a_sign_up_become_page_identify_and_form_events(
    edge: Edge, chromium: Browser
) -> None:
    """Two page views and the newsletter form reach the topic under the lp_id cookie."""
    context = await chromium.new_context(user_agent=PERSON_UA)
    page = await context.new_page()
    await page.goto(f"{edge.base}/demo/pricing?utm_source=ads&utm_campaign=spring")
    await page.goto(f"{edge.base}/demo/")
    await page.fill("footer input[name=email]", "Jo.Visitor@globex.example")
    await page.click("footer button[type=submit]")
    await page.wait_for_url("**/demo/thanks")
    cookies = {c["name"]: c["value"] for c in await context.cookies()}
    await page.goto("about:blank")  # leaving flushes the thank-you page's batch
    await context.close()

    found = [event for _, event in await consume(edge.settings, 5, timeout=30)]
    assert all(event.identity.anonymous_id == cookies["lp_id"] for event in found)
    assert all(event.source == "snippet" and not event.flags.bot for event in found)
    pages = [event.context.path for event in found if event.type == "page"]
    assert pages[:2] == ["/demo/pricing", "/demo/"]
    pricing = next(event for event in found if event.context.path == "/demo/pricing")
    assert (pricing.context.campaign.source, pricing.context.campaign.name) == ("ads", "spring")
    [identify] = [event for event in found if event.type == "identify"]
    assert identify.identity.email == "Jo.Visitor@globex.example"
    [form] = [event for event in found if event.event == "Form Submitted"]
    assert form.properties == {"form": "newsletter"}


async def test_a_demo_form_sends_its_fast_pass_event(edge: Edge, chromium: Browser) -> None:
    """A form with data-lp-event="Demo Requested" sends that event with the identify."""
    context = await chromium.new_context(user_agent=PERSON_UA)
    page = await context.new_page()
    await page.goto(f"{edge.base}/demo/demo")
    await page.fill("main input[name=email]", "dev@acme.example")
    await page.fill("main input[name=name]", "Dev Patel")
    await page.click("main button[type=submit]")
    await page.wait_for_url("**/demo/thanks")
    await context.close()
    found = [event for _, event in await consume(edge.settings, 4, timeout=30)]
    names = {event.event for event in found if event.type == "track"}
    assert {"Form Submitted", "Demo Requested"} <= names
    [identify] = [event for event in found if event.type == "identify"]
    assert identify.traits["name"] == "Dev Patel"


async def test_global_privacy_control_means_no_beacon_and_no_cookie(
    edge: Edge, chromium: Browser
) -> None:
    """With GPC on, the snippet sends nothing and sets no lp_id cookie."""
    context = await chromium.new_context(user_agent=PERSON_UA)
    await context.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})"
    )
    beacons: list[str] = []
    context.on("request", lambda r: beacons.append(r.url) if "/v1/collect" in r.url else None)
    page = await context.new_page()
    await page.goto(f"{edge.base}/demo/pricing")
    await page.fill("footer input[name=email]", "private@globex.example")
    await page.click("footer button[type=submit]")
    await page.wait_for_url("**/demo/thanks")
    await page.goto("about:blank")
    await asyncio.sleep(0)  # let queued request events be delivered
    cookies = await context.cookies()
    await context.close()
    assert beacons == []
    assert [c for c in cookies if c["name"] == "lp_id"] == []
    assert await consume(edge.settings, 1, timeout=2) == []
