"""The real browser SDKs, unmodified from npm, on a customer's site of its own origin,
posting cross-origin to LeadPulse in Debian's Chromium: analytics.js (@segment/analytics-next)
and RudderStack's JS SDK. Their page, identify, group and track arrive and are scored; a
page from an origin not in site.origins gets no CORS grant and records nothing."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, Request, Response, Route

from leadpulse.dev.embedded import free_port
from tests.e2e.conftest import Stack, wait_for
from tests.e2e.sdk_site import SdkStack, Site, run_stack, serve_site

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

ACME = {"website": "acme.example", "employees": 800, "industry": "Manufacturing"}


@dataclass(frozen=True)
class World:
    stack: SdkStack
    site: Site  # its origin is in site.origins
    stranger: Site  # its origin is not


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    port = free_port()
    with run_stack(tmp_path_factory.mktemp("sdk-stack"), [f"http://127.0.0.1:{port}"]) as stack:
        host = stack.base.removeprefix("http://")
        with (
            serve_site(stack.write_key, host, port) as site,
            serve_site(stack.write_key, host) as stranger,
        ):
            yield World(stack, site, stranger)


@dataclass
class Traffic:
    """What the browser saw of ingest: every /v1/* response, every refused request, and
    every host it talked to."""

    ingest: str
    responses: list[tuple[str, str, int]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    hosts: set[str] = field(default_factory=set)

    def watch(self, page: Page) -> None:
        page.on("response", self._response)
        page.on("requestfailed", self._failed)
        page.on("request", lambda request: self.hosts.add(request.url.split("/")[2]))

    def _response(self, response: Response) -> None:
        if response.url.startswith(f"{self.ingest}/v1/"):
            path = response.url.removeprefix(self.ingest).split("?")[0]
            self.responses.append((response.request.method, path, response.status))

    def _failed(self, request: Request) -> None:
        # Leaving a page aborts reading an answer already received (ERR_ABORTED, the
        # response was recorded above); a refusal, CORS or network, is ERR_FAILED.
        if request.url.startswith(f"{self.ingest}/v1/") and request.failure != "net::ERR_ABORTED":
            self.failed.append(f"{request.url.removeprefix(self.ingest)}: {request.failure}")


class FailOnce:
    """Ingest takes the first matching request, but the browser is answered 503: the SDK
    must send it again, and LeadPulse must count it once."""

    def __init__(self) -> None:
        self.faulted: list[str] = []

    def __call__(self, route: Route) -> None:
        if self.faulted or route.request.method != "POST":
            route.fallback()
            return
        answer = route.fetch()
        self.faulted.append(route.request.url)
        route.fulfill(response=answer, status=503, headers={**answer.headers, "retry-after": "1"})


def _api(stack: Stack, path: str) -> dict[str, Any] | None:
    with stack.api() as api:
        response = api.get(path)
    return response.json() if response.status_code == 200 else None


def _accepted(stack: Stack) -> float:
    """Events ingest answered 2xx for, from its /metrics."""
    text = httpx.get(f"{stack.base}/metrics", timeout=5).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("leadpulse_ingest_events_accepted_total{")
    )


def _check_journey(world: World, email: str, account: str) -> dict[str, Any]:
    """One lead: both pages, the identify, the demo request once; an mql of `account`,
    which holds the group's traits; fit points from them."""

    def complete() -> dict[str, Any] | None:
        lead = _api(world.stack, f"/v1/leads/{email}")
        if not lead:
            return None
        kinds = [e["type"] for e in lead["timeline"]]
        ready = lead["stage"] == "mql" and kinds.count("page") == 2 and lead["account"] == account
        return lead if ready and "identify" in kinds and "track" in kinds else None

    lead = wait_for(complete, timeout=60)
    kinds = [e["type"] for e in lead["timeline"]]
    assert kinds.count("page") == 2 and kinds.count("identify") == 1, kinds
    tracks = [e.get("event") for e in lead["timeline"] if e["type"] == "track"]
    assert tracks == ["Demo Requested"]
    assert lead["traits"]["title"] == "VP Operations"
    rules = {row["rule"] for row in lead["score"]["breakdown"]}
    assert {"company_size_fit", "target_industry", "senior_title"} <= rules
    found = wait_for(lambda: _api(world.stack, f"/v1/accounts/{account}"), timeout=30)
    assert found["traits"] == {
        "domain": "acme.example",
        "employees": 800,
        "industry": "Manufacturing",
    }
    assert lead["lead_id"] in {p["lead_id"] for p in found["people"]}
    return lead


def _resent(page: Page, path: str) -> Any:
    """Wait (pumping the browser's events) for the 2xx answer to the resent request."""
    return page.expect_response(
        lambda r: r.url.endswith(path) and r.request.method == "POST" and r.ok, timeout=60_000
    )


def _check_counted_once(world: World, traffic: Traffic, fault: FailOnce, before: float) -> None:
    """The request faulted once was sent again (2xx this time); the scorer dropped the copy."""
    assert len(fault.faulted) == 1
    path = fault.faulted[0].removeprefix(world.stack.base)
    sends = [status for method, p, status in traffic.responses if p == path and method == "POST"]
    assert sends == [503, 200], traffic.responses
    wait_for(lambda: world.stack.duplicates() > before, timeout=30)


def _check_traffic(world: World, traffic: Traffic, paths: set[str], faulted: str) -> None:
    posts = [(path, status) for method, path, status in traffic.responses if method == "POST"]
    assert {path for path, _ in posts} >= paths, posts
    others = [status for path, status in posts if path != faulted]
    assert all(200 <= status < 300 for status in others), posts
    assert traffic.failed == []
    own = {world.site.origin, world.stack.base}
    assert {f"http://{host}" for host in traffic.hosts} <= own, traffic.hosts


def test_analytics_js_journey_becomes_a_scored_mql_of_its_account(
    world: World, person: BrowserContext
) -> None:
    """analytics.js: two anonymous page()s, identify, group, track("Demo Requested") whose
    first send is answered 503: one mql lead of acme, the demo request counted once."""
    email = f"dana.{uuid.uuid4().hex[:8]}@acme.example"
    account = f"acme-{uuid.uuid4().hex[:6]}"
    duplicates = world.stack.duplicates()
    traffic = Traffic(world.stack.base)
    page = person.new_page()
    traffic.watch(page)
    fault = FailOnce()
    page.route(re.compile(r".*/v1/t$"), fault)
    for path in ("pricing", "case-studies"):
        page.goto(f"{world.site.origin}/segment/{path}")
        page.evaluate("async () => { await window.sdkReady; await analytics.page(); }")
    with _resent(page, "/v1/t"):
        page.evaluate(
            """async ([email, account, traits]) => {
                await analytics.identify("u-" + email, {email, title: "VP Operations"});
                await analytics.group(account, traits);
                await analytics.track("Demo Requested");
            }""",
            [email, account, ACME],
        )
    _check_counted_once(world, traffic, fault, duplicates)
    _check_journey(world, email, account)
    _check_traffic(world, traffic, {"/v1/p", "/v1/i", "/v1/g", "/v1/t"}, "/v1/t")


def test_rudderstack_journey_becomes_a_scored_mql_of_its_account(
    world: World, person: BrowserContext
) -> None:
    """The same journey with RudderStack's JS SDK (its XHR queue, its own headers)."""
    email = f"rui.{uuid.uuid4().hex[:8]}@acme.example"
    account = f"acme-{uuid.uuid4().hex[:6]}"
    duplicates = world.stack.duplicates()
    traffic = Traffic(world.stack.base)
    page = person.new_page()
    traffic.watch(page)
    fault = FailOnce()
    page.route(re.compile(r".*/v1/track$"), fault)

    def sent(path: str) -> Any:
        return page.expect_response(lambda r: r.url.endswith(path) and r.request.method == "POST")

    for path in ("pricing", "case-studies"):
        page.goto(f"{world.site.origin}/rudderstack/{path}")
        with sent("/v1/page"):
            page.evaluate("async () => { await window.sdkReady; rudder.page(); }")
    with _resent(page, "/v1/track"):
        page.evaluate(
            """([email, account, traits]) => {
                rudder.identify("u-" + email, {email, title: "VP Operations"});
                rudder.group(account, traits);
                rudder.track("Demo Requested");
            }""",
            [email, account, ACME],
        )
    _check_counted_once(world, traffic, fault, duplicates)
    _check_journey(world, email, account)
    _check_traffic(
        world, traffic, {"/v1/page", "/v1/identify", "/v1/group", "/v1/track"}, "/v1/track"
    )


@pytest.mark.parametrize("sdk", ["segment", "rudderstack"])
def test_a_page_from_an_origin_not_listed_gets_no_grant_and_records_nothing(
    world: World, person: BrowserContext, sdk: str
) -> None:
    """The stranger's page loads the same SDK; the browser refuses its requests (no CORS
    grant) and ingest takes nothing."""
    email = f"eve.{uuid.uuid4().hex[:8]}@acme.example"
    accepted = _accepted(world.stack)
    page = person.new_page()
    page.goto(f"{world.stranger.origin}/{sdk}/pricing")
    call = (
        "async (email) => { await window.sdkReady; analytics.identify('u-' + email, {email}); }"
        if sdk == "segment"
        else "async (email) => { await window.sdkReady; rudder.identify('u-' + email, {email}); }"
    )
    refused = page.expect_event(
        "requestfailed", lambda r: r.url.startswith(f"{world.stack.base}/v1/")
    )
    with refused as failure:
        page.evaluate(call, email)
    assert failure.value.failure == "net::ERR_FAILED"
    assert _accepted(world.stack) == accepted
    assert _api(world.stack, f"/v1/leads/{email}") is None
