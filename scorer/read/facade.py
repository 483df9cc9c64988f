"""The scorer's typed read facade, for the dashboard: frozen read models over `scorer.read.store`.

The read API answers `scorer.read.store`'s JSON as it is; the dashboard reads the same numbers
through these models, checked and typed once here (msgspec), instead of `.get("email")`
on a dict. Read-only, like the store.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from leadpulse.kernel.valkey import Valkey
from scorer.read import store

__all__ = [
    "SORTS",
    "AccountView",
    "Activity",
    "BuyingGroup",
    "LeadAlert",
    "LeadPage",
    "LeadRow",
    "LeadView",
    "Score",
    "ScorePoint",
    "ScoreReason",
    "StageEntry",
    "TimelineEntry",
    "account_view",
    "lead_page",
    "lead_view",
    "recent_activity",
]

SORTS = store.SORTS


class ScoreReason(msgspec.Struct, frozen=True):
    """One rule's points in the score, and when it last counted."""

    rule: str
    points: float
    at: datetime | None = None


class Score(msgspec.Struct, frozen=True):
    """The lead's score, decayed to the time of the read."""

    total: float = 0.0
    engagement: float = 0.0
    fit: float = 0.0
    breakdown: tuple[ScoreReason, ...] = ()


class StageEntry(msgspec.Struct, frozen=True):
    stage: str
    at: datetime | None = None
    reason: str | None = None


class TimelineEntry(msgspec.Struct, frozen=True):
    """One event on the lead's timeline; `flagged`: why it was not scored, if it was not."""

    at: datetime | None = None
    type: str | None = None
    event: str | None = None
    path: str | None = None
    url: str | None = None
    flagged: str | None = None


class AlertDestination(msgspec.Struct, frozen=True):
    destination: str
    state: str


class LeadAlert(msgspec.Struct, frozen=True):
    """An alert about the lead and what became of it (per destination when several)."""

    type: str
    alert_id: str
    at: datetime | None = None
    state: str = "pending"
    destinations: tuple[AlertDestination, ...] = ()


class ScorePoint(msgspec.Struct, frozen=True):
    at: datetime
    score: float


class LeadView(msgspec.Struct, frozen=True):
    """A lead as its page shows it."""

    lead_id: str
    stage: str
    score: Score = Score()
    email: str | None = None
    threshold: float | None = None
    stage_history: tuple[StageEntry, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    interests: tuple[str, ...] = ()
    consideration: str | None = None
    account: str | None = None
    nurture_paused_until: datetime | None = None
    alerts: tuple[LeadAlert, ...] = ()
    score_history: tuple[ScorePoint, ...] = ()


class LeadRow(msgspec.Struct, frozen=True):
    """A lead as a list shows it."""

    lead_id: str
    stage: str
    score: float = 0.0
    email: str | None = None
    account: str | None = None
    consideration: str | None = None
    interests: tuple[str, ...] = ()


class LeadPage(msgspec.Struct, frozen=True):
    """One page of a filtered, sorted list of leads, and how many match in all."""

    leads: tuple[LeadRow, ...]
    total: int
    offset: int
    limit: int


class BuyingGroup(msgspec.Struct, frozen=True):
    """How many of the account's people engaged lately, and how many the signal needs."""

    engaged_people: int = 0
    people: int | None = None
    days: float | None = None
    active: bool = False


class AccountView(msgspec.Struct, frozen=True):
    """An account as its page shows it: score, people, buying group and traits."""

    account_id: str
    score: float = 0.0
    score_mode: str = "sum"
    traits: dict[str, object] = msgspec.field(default_factory=dict)
    people: tuple[LeadRow, ...] = ()
    buying_group: BuyingGroup = BuyingGroup()


class Activity(msgspec.Struct, frozen=True):
    """A recent stage change, for the live feed."""

    lead_id: str
    to: str
    at: datetime | None = None
    email: str | None = None
    from_stage: str | None = msgspec.field(default=None, name="from")
    reason: str | None = None


async def account_view(redis: Valkey, account_id: str) -> AccountView | None:
    """An account by id or domain, as `GET /v1/accounts/{id}` shows it; None when unknown."""
    found = await store.get_account(redis, account_id)
    return None if found is None else msgspec.convert(found, AccountView)


async def recent_activity(redis: Valkey, limit: int = 50) -> list[Activity]:
    """The latest stage changes across all partitions, newest first."""
    return msgspec.convert(await store.recent_activity(redis, limit), list[Activity])


async def lead_view(redis: Valkey, ref: str) -> LeadView | None:
    """A lead by lead id or email, as `GET /v1/leads/{id}` shows it; None when unknown."""
    found = await store.get_lead(redis, ref)
    return None if found is None else msgspec.convert(found, LeadView)


async def lead_page(
    redis: Valkey,
    *,
    stage: str | None = None,
    min_score: float | None = None,
    account: str | None = None,
    consideration: str | None = None,
    sort: str = "score",
    offset: int = 0,
    limit: int = 50,
) -> LeadPage:
    """Leads filtered and sorted as `GET /v1/leads` lists them (`store.list_leads`)."""
    found = await store.list_leads(
        redis,
        stage=stage,
        min_score=min_score,
        account=account,
        consideration=consideration,
        sort=sort,
        offset=offset,
        limit=limit,
    )
    return msgspec.convert(found, LeadPage)
