"""Realistic B2B buyer journeys as data: what `leadpulse simulate` sends. Pure, seeded.

A journey starts anonymous on early content, maybe identifies through a form, engages by
email and webinars, researches pricing and case studies, sometimes requests a demo, and
then meets sales: accepted, qualified, won or lost, "not now", or disqualified. Lost deals
sometimes come back to the site.

Whether a deal is won is drawn from a hidden propensity (`propensity`): a logistic function
of fit (seniority, company size, industry, email domain) and of behaviour before sales met
the lead (webinar attended, content downloaded, demo requested, paid LinkedIn campaign).
`make_population` returns it per email, so the predictive score can be compared with the
truth.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

__all__ = ["Population", "Step", "make_journeys", "make_population", "propensity"]

Channel = Literal["segment", "crm"]

CHROME_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
CAMPAIGNS: list[tuple[str | None, str | None, str | None, float]] = [
    ("google", "cpc", "search-q4", 0.30),
    ("linkedin", "paid-social", "abm-emea", 0.20),
    ("newsletter", "email", "fall-launch", 0.15),
    ("partner", "referral", "partner-week", 0.10),
    (None, None, None, 0.25),  # organic
]
EARLY = [
    "/demo/blog/ai-in-b2b-buying",
    "/demo/blog/five-trends-2027",
    "/demo/research/state-of-ops",
    "/demo/product",
    "/demo/product/integrations",
]
MID = [
    "/demo/pricing",
    "/demo/compare/leadpulse-vs-spreadsheets",
    "/demo/guides/buyers-guide",
    "/demo/rfp-template",
]
LATE = ["/demo/case-studies/acme-industrial", "/demo/case-studies/globex"]
FIRST = [
    "ann",
    "bob",
    "chen",
    "dana",
    "emre",
    "fatima",
    "gus",
    "hana",
    "ivan",
    "jo",
    "kai",
    "lena",
    "mo",
    "nia",
    "omar",
    "pia",
    "quinn",
    "ravi",
    "sara",
    "tom",
    "uma",
    "vic",
    "wei",
    "xena",
    "yuki",
    "zoe",
]
LAST = ["smith", "meyer", "tanaka", "garcia", "okafor", "novak", "larsen", "rossi", "kim", "weber"]
COMPANIES = [
    f"{name}.example"
    for name in (
        "acme-industrial",
        "globex",
        "initech",
        "umbrella-labs",
        "hooli",
        "vandelay",
        "stark-tools",
        "wayne-logistics",
        "tyrell-bio",
        "cyberdyne",
        "soylent-foods",
        "wonka-mfg",
        "gringotts-fin",
        "oscorp",
        "monarch-health",
        "aperture-sci",
        "duff-bev",
        "nakatomi",
        "massive-dyn",
        "pied-piper",
    )
]
TITLES = [
    ("VP Marketing", 0.12),
    ("Director of Sales Ops", 0.12),
    ("Head of Growth", 0.08),
    ("Marketing Manager", 0.22),
    ("Demand Gen Manager", 0.14),
    ("Analyst", 0.2),
    ("CTO", 0.04),
    ("Founder", 0.03),
    ("Student", 0.05),
]
COUNTRIES = [("US", 0.4), ("DE", 0.2), ("GB", 0.15), ("FR", 0.1), ("JP", 0.08), ("AU", 0.07)]
WINDOW = timedelta(days=28)  # inside ingest's 30-day clock-skew limit
OWNERS = ["ada@sales.example", "grace@sales.example", "linus@sales.example"]


@dataclass(frozen=True)
class Step:
    at: datetime
    channel: Channel
    body: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Draft:
    offset: timedelta
    channel: Channel
    body: dict[str, Any]


def _pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    return rng.choices([value for value, _ in weighted], [w for _, w in weighted])[0]


class _Journey:
    def __init__(self, rng: random.Random, now: datetime, index: int) -> None:
        self.rng = rng
        self.now = now
        self.anonymous_id = f"sim-{uuid.UUID(int=rng.getrandbits(128)).hex[:16]}"
        self.email: str | None = None
        self.t = timedelta(0)  # offset from the journey's start; placed in time at the end
        source, medium, name, _ = rng.choices(CAMPAIGNS, [c[3] for c in CAMPAIGNS])[0]
        self.campaign = {
            k: v for k, v in (("source", source), ("medium", medium), ("name", name)) if v
        }
        self.index = index
        self.steps: list[_Draft] = []
        self.done: set[str] = set()  # events sent, for the propensity
        self.propensity: float | None = None

    def later(self, low_minutes: float, high_minutes: float) -> timedelta:
        self.t += timedelta(minutes=self.rng.uniform(low_minutes, high_minutes))
        return self.t

    def placed(self) -> list[Step]:
        """The steps on the calendar: the journey ends within the last 40% of `WINDOW`
        (when it ends does not depend on how long it took, so neither does when its outcome
        arrives), taking at most the 60% before, its gaps shrunk evenly if it is longer."""
        span = max((step.offset for step in self.steps), default=timedelta(0))
        scale = min(1.0, WINDOW * 0.6 / span) if span else 1.0
        end = self.now - timedelta(minutes=5) - WINDOW * 0.4 * self.rng.random()
        start = end - span * scale
        placed = []
        for step in self.steps:
            at = start + step.offset * scale
            field_name = "timestamp" if step.channel == "segment" else "occurred_at"
            placed.append(Step(at, step.channel, {**step.body, field_name: at.isoformat()}))
        return placed

    def _segment(self, message: dict[str, Any], at: timedelta) -> None:
        message.setdefault("anonymousId", self.anonymous_id)
        message["messageId"] = str(uuid.UUID(int=self.rng.getrandbits(128)))
        context = message.setdefault("context", {})
        context.setdefault("userAgent", CHROME_UA)
        if self.campaign:
            context.setdefault("campaign", self.campaign)
        if self.email and message["type"] != "identify":
            # As RudderStack's and Segment's browser SDKs do once a user is identified.
            context.setdefault("traits", {"email": self.email})
        self.steps.append(_Draft(at, "segment", message))

    def page(self, path: str, low: float = 1, high: float = 20) -> None:
        at = self.later(low, high)
        url = f"https://www.leadpulse-demo.example{path}"
        self._segment(
            {
                "type": "page",
                "name": path.rsplit("/", 1)[-1] or "home",
                "properties": {"url": url, "path": path},
                "context": {"page": {"url": url, "path": path}},
            },
            at,
        )

    def track(self, event: str, low: float, high: float, **properties: Any) -> None:
        at = self.later(low, high)
        self.done.add(event)
        self._segment({"type": "track", "event": event, "properties": properties}, at)

    def identify(self, traits: dict[str, Any]) -> None:
        at = self.later(1, 5)
        self.email = traits["email"]
        self._segment({"type": "identify", "traits": traits}, at)

    def crm(self, outcome: str, low_hours: float, high_hours: float, **extra: Any) -> None:
        at = self.later(low_hours * 60, high_hours * 60)
        body = {
            "event_id": str(uuid.UUID(int=self.rng.getrandbits(128))),
            "type": outcome,
            "email": self.email,
            **extra,
        }
        self.steps.append(_Draft(at, "crm", body))


_SENIOR = ("VP", "Director", "Head", "CTO", "Founder")
_FREE_MAIL = ("gmail.com", "outlook.com", "yahoo.com")


def propensity(traits: dict[str, Any], done: set[str], campaign: dict[str, str]) -> float:
    """The hidden probability that sales win this lead: the simulator's ground truth.

    logit = -1.6
      + 1.2 senior title (VP, Director, Head, CTO, Founder), +0.3 manager, -0.8 analyst
      + 0.7 company of 1,000+ people, +0.3 of 120-999, -0.9 of fewer than 50
      + 0.5 software or financial services, -0.5 education or retail
      - 1.2 free email domain, -2.5 a competitor's domain
      + 0.6 webinar attended, +0.3 content downloaded, +0.8 demo requested
      + 0.4 came from the paid LinkedIn campaign
    """
    title = str(traits.get("title", ""))
    size = int(traits.get("company_size", 0))
    domain = str(traits.get("email", "")).rsplit("@", 1)[-1]
    logit = -1.6
    if any(word in title for word in _SENIOR):
        logit += 1.2
    elif "Manager" in title:
        logit += 0.3
    elif title == "Analyst":
        logit -= 0.8
    if size >= 1000:
        logit += 0.7
    elif size >= 120:
        logit += 0.3
    elif size < 50:
        logit -= 0.9
    industry = traits.get("industry")
    if industry in ("software", "financial services"):
        logit += 0.5
    elif industry in ("education", "retail"):
        logit -= 0.5
    if domain in _FREE_MAIL:
        logit -= 1.2
    elif domain == "rivalscore.example":
        logit -= 2.5
    logit += 0.6 * ("Webinar Attended" in done) + 0.3 * ("Content Downloaded" in done)
    logit += 0.8 * ("Demo Requested" in done) + 0.4 * (campaign.get("source") == "linkedin")
    return 1 / (1 + math.exp(-logit))


def _persona(rng: random.Random, index: int) -> dict[str, Any]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    roll = rng.random()
    if roll < 0.18:
        domain = rng.choice(["gmail.com", "outlook.com", "yahoo.com"])
    elif roll < 0.2:
        domain = "rivalscore.example"
    else:
        domain = rng.choice(COMPANIES)
    return {
        "email": f"{first}.{last}.{index}@{domain}",
        "first_name": first.title(),
        "last_name": last.title(),
        "title": _pick(rng, TITLES),
        "company": domain.split(".")[0].replace("-", " ").title(),
        "company_size": rng.choice([8, 40, 120, 450, 1200, 3000, 12000]),
        "industry": rng.choice(
            ["software", "manufacturing", "financial services", "healthcare", "retail", "education"]
        ),
        "country": _pick(rng, COUNTRIES),
    }


def _journey(rng: random.Random, now: datetime, index: int, to_sales: bool = False) -> _Journey:
    """One journey; `to_sales` sends every identified lead on to sales (for outcome data)."""
    j = _Journey(rng, now, index)
    for _ in range(rng.randint(1, 5)):
        j.page(rng.choice(EARLY))
    if rng.random() > 0.8 and not to_sales:
        return j  # stays an anonymous visitor
    traits = _persona(rng, index)
    j.track("Form Submitted", 1, 10, form=rng.choice(["newsletter", "ebook"]))
    j.identify(traits)
    if (traits["title"] == "Student" or rng.random() < 0.1) and not to_sales:
        return j  # a dead end or a lead that never engages again
    if rng.random() > 0.7 and not to_sales:
        return j  # stays a lead: no further engagement
    j.track("Email Opened", 60 * 24, 60 * 72, campaign="fall-launch")
    j.track("Email Link Clicked", 1, 30, campaign="fall-launch", url="/demo/guides/buyers-guide")
    j.page(rng.choice(MID))
    if rng.random() < 0.5:
        j.track("Content Downloaded", 5, 60, asset="buyers-guide.pdf")
    if rng.random() < 0.3:
        j.track("Webinar Registered", 60, 600, webinar="ops-masterclass")
        j.track("Webinar Attended", 60 * 24, 60 * 72, webinar="ops-masterclass")
    if rng.random() > 0.45 and not to_sales:
        return j  # nurturing, not yet qualified
    j.page("/demo/pricing", 60 * 12, 60 * 48)
    for path in rng.sample(MID + LATE, 3):
        j.page(path)
    if rng.random() < 0.55:
        j.page("/demo/demo")
        j.track("Demo Requested", 1, 5, form="demo")
    else:
        j.track("Content Downloaded", 5, 60, asset="roi-calculator.xlsx")
        j.track(
            "Email Link Clicked", 60, 600, campaign="nurture-3", url="/demo/case-studies/globex"
        )
    j.propensity = propensity(traits, j.done, j.campaign)
    _sales(j, rng, j.propensity, always=to_sales)
    return j


def _sales(j: _Journey, rng: random.Random, p_win: float, always: bool = False) -> None:
    """Sales' path; the deal is won with probability `p_win`, else it ends as not now,
    disqualified or lost."""
    owner = rng.choice(OWNERS)
    if rng.random() < 0.2 and not always:
        return  # nobody accepts it: the SLA alert's case
    j.crm("accepted", 1, 30, owner=owner)
    won = rng.random() < p_win
    roll = rng.random()
    # An early "no" comes as late as a won deal would: when an outcome arrives says
    # nothing of what it is, so a backtest split by time keeps the base rate.
    late = rng.uniform(24, 120) + rng.uniform(24, 120) + rng.uniform(48, 200)
    if not won and roll < 0.2:
        j.crm("not_now", late, late, owner=owner, reason="budget next year")
        return
    if not won and roll < 0.3:
        j.crm("disqualified", late, late, owner=owner, reason="no fit")
        return
    j.crm("qualified", 24, 120, owner=owner)
    j.crm("opportunity", 24, 120, owner=owner)
    if won:
        j.crm("won", 48, 200, owner=owner)
    else:
        j.crm("lost", 48, 200, owner=owner, reason="chose a competitor")
        if rng.random() < 0.35 and not always:  # `always`: the outcome ends the journey
            for path in (
                "/demo/pricing",
                "/demo/compare/leadpulse-vs-spreadsheets",
                "/demo/case-studies/globex",
                "/demo/pricing",
            ):
                j.page(path, 60 * 12, 60 * 48)


@dataclass(frozen=True)
class Population:
    """Journeys in time order, and the hidden propensity of each lead that met sales."""

    steps: list[Step]
    propensity: dict[str, float]  # email -> probability of a won deal


def make_population(
    leads: int, seed: int = 7, now: datetime | None = None, *, to_sales: bool = False
) -> Population:
    """`leads` journeys with their ground truth; `to_sales` takes every one to an outcome."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    now = now or datetime.now(UTC)
    steps: list[Step] = []
    truth: dict[str, float] = {}
    for index in range(leads):
        journey = _journey(rng, now, index, to_sales)
        steps.extend(journey.placed())
        if journey.propensity is not None and journey.email is not None:
            truth[journey.email] = journey.propensity
    steps.sort(key=lambda step: step.at)
    return Population(steps, truth)


def make_journeys(leads: int, seed: int = 7, now: datetime | None = None) -> list[Step]:
    """All steps of `leads` journeys, in time order."""
    return make_population(leads, seed, now).steps
