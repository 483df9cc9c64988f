"""What the scorer tells CRM connectors about a lead, and a change they could not write.

Pure pydantic, no I/O, like `leadpulse.kernel.schema`. A `LeadChange` is compact: the values the
CRM fields need, not the lead's history. `seq` grows by one per change of a lead, so a
connector that sees two changes of one lead keeps the later one whatever order they came in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from leadpulse.kernel.schema import SCHEMA_VERSION

__all__ = ["ChangeCause", "CrmDeadLetter", "LeadChange", "Reason"]

ChangeCause = Literal["stage", "score", "alert", "backfill"]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Reason(_Record):
    rule: str
    points: float


class LeadChange(_Record):
    """A lead's CRM-facing values after a stage change, a score step or an alert."""

    schema_version: int = SCHEMA_VERSION
    change_id: str = Field(description="deterministic: lead and seq")
    lead_id: str
    seq: int = Field(ge=-1, description="-1: a backfill, written only where nothing was")
    at: datetime
    causes: list[ChangeCause] = Field(default_factory=list)
    email: str | None = None
    stage: str
    score: float
    engagement: float = 0.0
    fit: float = 0.0
    consideration: str | None = None
    interests: list[str] = Field(default_factory=list)
    top_reasons: list[Reason] = Field(default_factory=list, max_length=3)
    last_alert: str | None = Field(default=None, description="type of the lead's last alert")
    p_convert: float | None = Field(
        default=None, ge=0, le=1, description="the live model's conversion probability"
    )

    @property
    def reasons_text(self) -> str:
        """`demo_request +40; pricing_page +12` (what a CRM text field shows)."""
        return "; ".join(f"{r.rule} {r.points:+g}" for r in self.top_reasons)


class CrmDeadLetter(_Record):
    """A lead change one CRM connector could not write after its last try."""

    schema_version: int = SCHEMA_VERSION
    change: LeadChange
    destination: str
    reason: str
    attempts: int
    failed_at: datetime
