"""Config of the scoring engine: models and rules, stages, content map, accounts.

Patterns are RE2 regexes (linear time) or globs; they are compiled once at start-up.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from leadpulse.kernel.config._base import ConfigModel

__all__ = [
    "AccountsConfig",
    "Cap",
    "ContentRule",
    "DisqualifyRule",
    "EngagementRule",
    "FitRule",
    "Match",
    "ScoreModel",
    "ScoringConfig",
    "SlaConfig",
    "StagesConfig",
]

Period = Literal["day", "week", "month", "ever"]


class Match(ConfigModel):
    """What an event must be for a rule to apply. Every given field must match."""

    type: Literal["track", "page", "identify", "crm", "webinar"] | None = None
    event: str | None = Field(default=None, description="exact event name, e.g. 'Demo Requested'")
    url: str | None = Field(default=None, description="glob on the page URL path, e.g. '/pricing*'")
    url_regex: str | None = Field(default=None, description="RE2 regex on the full page URL")
    properties: dict[str, str] = Field(
        default_factory=dict, description="property -> glob the value must match"
    )


class Cap(ConfigModel):
    points: float = Field(gt=0)
    per: Period = "ever"


class EngagementRule(ConfigModel):
    name: str = Field(min_length=1, pattern=r"^[a-z0-9_.-]+$")
    match: Match
    points: float
    cap: Cap | None = None


class FitRule(ConfigModel):
    name: str = Field(min_length=1, pattern=r"^[a-z0-9_.-]+$")
    trait: str = Field(
        description="trait name, 'email_domain', or an account's: 'account_domain', 'account'"
    )
    pattern: str | None = Field(default=None, description="RE2 regex, case-insensitive")
    one_of: list[str] | None = Field(default=None, description="exact values (lower case)")
    in_list: Literal["free_mail", "competitor", "target_accounts"] | None = None
    min: float | None = None
    max: float | None = None
    points: float


class ScoreModel(ConfigModel):
    name: str = Field(min_length=1, pattern=r"^[a-z0-9_-]+$")
    threshold: float = 100
    half_life_days: float = Field(default=30, gt=0)
    rules: list[EngagementRule] = Field(default_factory=list)
    fit: list[FitRule] = Field(default_factory=list)


class DisqualifyRule(ConfigModel):
    name: str = Field(min_length=1)
    trait: str
    pattern: str | None = None
    in_list: Literal["free_mail", "competitor"] | None = None


class SlaConfig(ConfigModel):
    mql_hours: float = Field(default=24, gt=0)
    sal_days: float = Field(default=14, gt=0)
    sql_days: float = Field(default=45, gt=0)
    opportunity_days: float = Field(default=120, gt=0)
    recycle_when_stale: bool = False


class LostDealReturn(ConfigModel):
    visits: int = Field(default=3, ge=1)
    days: float = Field(default=14, gt=0)


class StagesConfig(ConfigModel):
    fast_pass_events: list[str] = Field(
        default_factory=lambda: [
            "Demo Requested",
            "Quote Requested",
            "Catalog Requested",
            "Sales Inquiry",
        ]
    )
    nurturing_events: list[str] = Field(
        default_factory=lambda: ["Email Link Clicked", "Content Downloaded", "Webinar Attended"]
    )
    lead_events: list[str] = Field(
        default_factory=lambda: ["Form Submitted", "Webinar Registered", "Signed Up"]
    )
    return_visit_after_minutes: float = Field(
        default=30, gt=0, description="a page view this long after the last one is a return visit"
    )
    pause_days: float = Field(default=90, ge=0)
    lost_deal_return: LostDealReturn = LostDealReturn()
    target_account_event_fast_pass: bool = True
    disqualify: list[DisqualifyRule] = Field(default_factory=list)
    sla: SlaConfig = SlaConfig()


class ContentRule(ConfigModel):
    url: str = Field(description="glob on the URL path, e.g. '/blog/*'")
    consideration: Literal["early", "mid", "late"]
    topics: list[str] = Field(default_factory=list)


class BuyingGroup(ConfigModel):
    people: int = Field(default=3, ge=2)
    days: float = Field(default=30, gt=0)


class AccountsConfig(ConfigModel):
    score: Literal["sum", "max"] = "sum"
    buying_group: BuyingGroup = BuyingGroup()
    target_accounts: list[str] = Field(default_factory=list, description="company domains")


class ScoringConfig(ConfigModel):
    models: list[ScoreModel] = Field(min_length=1)
    stages: StagesConfig = StagesConfig()
    content: list[ContentRule] = Field(default_factory=list)
    accounts: AccountsConfig = AccountsConfig()
    free_mail_domains: list[str] = Field(default_factory=list)
    competitor_domains: list[str] = Field(default_factory=list)
    require_verified_merge: bool = False
    timeline_max: int = Field(
        default=200,
        ge=10,
        le=200,
        description="events a lead's timeline shows, newest first: at most the 200 a lead keeps",
    )
    dedupe_window: int = Field(
        default=500_000,
        ge=1_000,
        description="event ids remembered per partition to drop redelivered duplicates",
    )
