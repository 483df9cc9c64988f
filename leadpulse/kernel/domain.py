"""The domain's words, once each: lifecycle stages, alert kinds and CRM outcomes.

Each is a `StrEnum`, so a member *is* its string: JSON, Valkey keys and stored state hold
the same bytes as before, and `Stage.MQL == "mql"`. Each member carries the facts the
services need about it on its own line; nothing else lists them. No I/O.

To add a stage or an alert kind, see "Adding a stage" / "Adding an alert kind" in the
README: a new line here is the first of a short list of edits.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

__all__ = ["AlertType", "CrmOutcome", "Phase", "Stage", "Tone"]

# Where a stage sits in the lifecycle: marketing works it, sales holds it, or it sits
# beside the main flow (recycled, or never a buyer).
Phase = Literal["marketing", "sales", "side"]
# How a stage reads at a glance; the dashboard turns each tone into colors.
Tone = Literal["neutral", "attention", "success", "setback", "inactive"]


class Stage(StrEnum):
    """A lead's lifecycle stage (DESIGN.md), in the order of the funnel: `rank` is that order."""

    label: str
    phase: Phase
    tone: Tone

    def __new__(cls, value: str, label: str, phase: Phase, tone: Tone) -> Stage:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        member.phase = phase
        member.tone = tone
        return member

    # value, label, phase, tone
    VISITOR = "visitor", "Visitors", "marketing", "neutral"
    LEAD = "lead", "Leads", "marketing", "neutral"
    NURTURING = "nurturing", "Nurturing", "marketing", "neutral"
    MQL = "mql", "MQL", "marketing", "attention"
    SAL = "sal", "SAL", "sales", "attention"
    SQL = "sql", "SQL", "sales", "neutral"
    OPPORTUNITY = "opportunity", "Opportunity", "sales", "neutral"
    CUSTOMER = "customer", "Customer", "sales", "success"
    RECYCLE = "recycle", "Recycle", "side", "setback"
    DEAD_END = "dead_end", "Dead end", "side", "inactive"

    @property
    def rank(self) -> int:
        """Position in the funnel, from 0 (visitor); the side stages come last."""
        return _RANK[self]

    @property
    def css_class(self) -> str:
        """The class the dashboard gives this stage's pill (its value: `pill mql`)."""
        return self.value


_RANK = {stage: n for n, stage in enumerate(Stage)}


class AlertType(StrEnum):
    """An alert kind: the `type` of an alert, what routes filter on with `alerts: [...]`.

    `label` heads the Slack message; `summary` says when the kind is raised (README,
    dashboard); `default_route` says whether the destinations no route names
    (`default_webhook`, `default_slack`) take it until a route claims them.
    """

    label: str
    default_route: bool
    summary: str

    def __new__(cls, value: str, label: str, default_route: bool, summary: str) -> AlertType:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        member.default_route = default_route
        member.summary = summary
        return member

    MQL = (
        "mql",
        "New MQL",
        True,
        "a lead became marketing qualified (score threshold or fast pass)",
    )
    LOST_DEAL_RETURNED = (
        "lost_deal_returned",
        "A lost deal is back",
        True,
        "people of a lost deal (the lead, or its account) came back N times in D days",
    )
    SLA_BREACH = (
        "sla_breach",
        "Sales SLA breached",
        True,
        "a lead stayed in mql, sal, sql or opportunity longer than the sales SLA allows",
    )
    BUYING_GROUP = (
        "buying_group",
        "Buying group forming",
        True,
        "N engaged people of one account within D days",
    )


class CrmOutcome(StrEnum):
    """What sales did, as `POST /v1/crm/events` and the CRM connectors say it; `stage` is
    where it moves the lead (a `dead_end` is never recycled: see scorer.core.stages)."""

    stage: Stage

    def __new__(cls, value: str, stage: Stage) -> CrmOutcome:
        member = str.__new__(cls, value)
        member._value_ = value
        member.stage = stage
        return member

    ACCEPTED = "accepted", Stage.SAL
    QUALIFIED = "qualified", Stage.SQL
    OPPORTUNITY = "opportunity", Stage.OPPORTUNITY
    WON = "won", Stage.CUSTOMER
    LOST = "lost", Stage.RECYCLE
    NOT_NOW = "not_now", Stage.RECYCLE
    DISQUALIFIED = "disqualified", Stage.DEAD_END
