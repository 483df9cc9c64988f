"""The shapes the CRM connector framework passes around, and what a connector provides."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from leadpulse.kernel.config.routing import RetryPolicy
from leadpulse.kernel.lead_change import LeadChange
from router.crm.bucket import RequestBudget
from router.crm.health import Tally
from router.crm.records import Written
from router.errors import DeliveryError

__all__ = ["Connector", "Prior", "Token", "Write", "WriteResult"]

# What the connector wrote for the lead before (seq, lifecycle rank), None: never written.
Prior = tuple[int, int | None] | None
# Where a change was read from (partition, offset): settled once its write is done.
Token = tuple[Any, int]


@dataclass
class Write:
    """The latest change of one lead waiting to be written, and every read it settles."""

    change: LeadChange
    tokens: list[Token] = field(default_factory=list)


@dataclass
class WriteResult:
    """A batch the CRM took: the records it refused one by one (change id -> why) and the
    record ids it gave for the others (change id -> id)."""

    refused: dict[str, DeliveryError] = field(default_factory=dict)
    record_ids: dict[str, str] = field(default_factory=dict)


class Connector(Protocol):
    """One CRM account (a HubSpot portal, a Salesforce org) that records are written to."""

    name: str
    kind: str
    batch_size: int
    linger: float
    policy: RetryPolicy
    budget: RequestBudget
    tally: Tally

    async def prepare(self) -> object:
        """Check the credentials and create what the CRM needs (custom fields)."""

    def plan(self, write: Write, prior: Prior) -> Written: ...

    def payload(self, write: Write, prior: Prior) -> dict[str, Any]: ...

    def request_body(self, items: list[tuple[Written, dict[str, Any]]]) -> Any:
        """What one batch request would carry (for a dry run)."""

    async def write(self, items: list[tuple[Written, dict[str, Any]]]) -> WriteResult:
        """Write one batch; raise a DeliveryError when the whole batch failed (RateLimited
        for a 429)."""

    async def applied(self, writes: list[Written]) -> set[str]:
        """Change ids of `writes` the CRM holds now (after a crash mid-batch)."""

    async def aclose(self) -> None: ...
