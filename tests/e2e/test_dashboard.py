"""The dashboard in a real Chromium, filled by the journey simulator: every view renders with
real numbers, and the funnel shows exactly what `GET /v1/funnel` answers."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page

from leadpulse.dev.journeys import make_journeys
from tests.e2e.conftest import ARTIFACTS, Stack, wait_for
from tests.process_tree import env_without_lp

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
LEADS = 150


@pytest.fixture(scope="module")
def filled(stack: Stack) -> Stack:
    """The stack after `leadpulse simulate --leads 150`, with the scorer caught up."""
    env = env_without_lp() | {"LP_WRITE_KEY": stack.write_key, "LP_SECRET_KEY": stack.secret_key}
    done = subprocess.run(
        [sys.executable, "-m", "leadpulse", "simulate", "--leads", str(LEADS), "--url", stack.base],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    identified = sum(1 for s in make_journeys(LEADS) if s.body.get("type") == "identify")
    seen: list[str] = []

    def caught_up() -> bool:
        """The funnel has stopped changing and holds most of the identified people."""
        with stack.api() as api:
            funnel = api.get("/v1/funnel").json()
        seen.append(repr(funnel["stages"]))
        flows = {row["stage"]: row["flow"] for row in funnel["stages"]}
        settled = len(seen) >= 3 and len(set(seen[-3:])) == 1
        return settled and flows.get("lead", 0) + flows.get("dead_end", 0) >= 0.8 * identified

    wait_for(caught_up, timeout=120, interval=1.5)
    return stack


@pytest.fixture
def logged_in(person: BrowserContext, filled: Stack) -> Iterator[Page]:
    page = person.new_page()
    page.goto(f"{filled.base}/dashboard")
    assert page.url.endswith("/dashboard/login")
    page.fill("input[name=key]", filled.secret_key)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard")
    yield page
    page.close()


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_login_sets_an_httponly_session_cookie_and_no_key_in_urls(
    logged_in: Page, filled: Stack
) -> None:
    """The secret key is asked once in a form; the session cookie is HttpOnly and Secure."""
    cookies = {c["name"]: c for c in logged_in.context.cookies()}
    session = cookies["lp_session"]
    assert session["httpOnly"] and session["secure"] and session["sameSite"] == "Strict"
    assert filled.secret_key not in logged_in.url
    assert filled.secret_key not in session["value"]


def test_wrong_key_is_refused(person: BrowserContext, filled: Stack) -> None:
    """A wrong key gets the login form again with a message, and no session."""
    page = person.new_page()
    page.goto(f"{filled.base}/dashboard/login")
    page.fill("input[name=key]", "sk_not_the_key")
    page.click("button[type=submit]")
    assert page.locator(".error").inner_text().startswith("That key is not")
    assert "lp_session" not in {c["name"] for c in person.cookies()}


def test_funnel_view_shows_the_numbers_of_the_funnel_api(logged_in: Page, filled: Stack) -> None:
    """Every stage's flow and balance on the page equals GET /v1/funnel for the same period."""
    with filled.api() as api:
        funnel = api.get("/v1/funnel").json()
    shown = {
        el.get_attribute("data-stage"): (
            int(float(el.get_attribute("data-flow") or 0)),
            int(float(el.get_attribute("data-balance") or 0)),
        )
        for el in logged_in.locator("g.stage").all()
    }
    for row in funnel["stages"]:
        if row["stage"] in shown:
            assert shown[row["stage"]] == (row["flow"], row["balance"]), row["stage"]
    assert shown["lead"][0] > 0 and shown["nurturing"][0] > 0 and shown["mql"][0] > 0
    _shot(logged_in, "dashboard-funnel")
    logged_in.goto(f"{filled.base}/dashboard?by=channel")
    assert logged_in.locator("#breakdown tr").count() > 2
    _shot(logged_in, "dashboard-funnel-by-channel")


def test_leads_lead_and_account_views_render_real_data(logged_in: Page, filled: Stack) -> None:
    """The leads table lists scored leads (a bad filter ignored); a lead shows its breakdown;
    an account its people."""
    logged_in.goto(f"{filled.base}/dashboard/leads?sort=score")
    rows = logged_in.locator("#leads tr")
    listed = rows.count()
    assert listed > 10
    _shot(logged_in, "dashboard-leads")
    # A min score that is no number filters nothing, and never breaks the page.
    shown = logged_in.goto(f"{filled.base}/dashboard/leads?sort=score&min_score=nan")
    assert shown is not None and shown.status == 200
    assert rows.count() == listed
    logged_in.goto(f"{filled.base}/dashboard/leads?sort=score")
    logged_in.locator("#leads tr >> nth=1 >> a").first.click()
    logged_in.wait_for_url("**/dashboard/leads/**")
    assert logged_in.locator("#breakdown tr").count() > 1
    assert logged_in.locator("svg.score-plot").count() == 1
    _shot(logged_in, "dashboard-lead")
    logged_in.goto(f"{filled.base}/dashboard/leads?sort=score")
    logged_in.locator("#leads a[href^='/dashboard/accounts/']").first.click()
    logged_in.wait_for_url("**/dashboard/accounts/**")
    assert logged_in.locator("#people tr").count() > 1
    _shot(logged_in, "dashboard-account")


def test_live_feed_shows_recent_activity(logged_in: Page) -> None:
    """The live feed fills itself from /dashboard/live.json without a reload."""
    wait_for(lambda: logged_in.locator("#live-feed li").count() > 0, timeout=15)


def test_alerts_view_lists_deliveries(logged_in: Page, filled: Stack) -> None:
    """The alerts view shows deliveries per destination after the simulated MQLs."""
    logged_in.goto(f"{filled.base}/dashboard/alerts")
    wait_for(
        lambda: logged_in.reload() or logged_in.locator("#deliveries tr").count() > 1,
        timeout=60,
        interval=2,
    )
    _shot(logged_in, "dashboard-alerts")
