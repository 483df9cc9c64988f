"""The CRM connectors' pure parts: coalescing, fields, lifecycle moves, HubSpot's errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadpulse.kernel.config.connectors import HubSpotConfig
from leadpulse.kernel.lead_change import LeadChange, Reason
from router.crm.bucket import RequestBudget
from router.crm.coalesce import Pending
from router.crm.fields import PROPERTIES, hubspot_properties, lifecycle_move
from router.crm.hubspot_errors import rate_headers

CONFIG = HubSpotConfig()


def _change(lead: str, seq: int, **values: object) -> LeadChange:
    fields: dict[str, object] = {
        "change_id": f"lc_{lead}_{seq}",
        "lead_id": lead,
        "seq": seq,
        "at": datetime(2026, 3, 2, tzinfo=UTC),
        "email": f"{lead}@acme.example",
        "stage": "mql",
        "score": 72.5,
        "engagement": 60.0,
        "fit": 12.5,
        "consideration": "late",
        "interests": ["pricing", "security"],
        "top_reasons": [
            Reason(rule="demo_requested", points=50),
            Reason(rule="title", points=12.5),
        ],
        "last_alert": "mql",
    }
    fields.update(values)
    return LeadChange.model_validate(fields)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_for_one_lead_is_one_write_with_the_highest_seq() -> None:
    """Changes of one lead coalesce, out of order too; every read is settled by the write."""
    pending = Pending(batch_size=100, linger=1.0, clock=Clock())
    for seq in (0, 3, 1, 2):
        pending.offer(_change("a", seq), ("p0", seq))
    pending.offer(_change("b", 0), ("p1", 0))
    writes = pending.take()
    assert [(w.change.lead_id, w.change.seq) for w in writes] == [("a", 3), ("b", 0)]
    assert writes[0].tokens == [("p0", 0), ("p0", 3), ("p0", 1), ("p0", 2)]


def test_a_batch_is_due_when_full_or_after_the_linger() -> None:
    """Full -> now; otherwise when the oldest waited `linger`; nothing waiting -> None."""
    clock = Clock()
    pending = Pending(batch_size=2, linger=1.0, clock=clock)
    assert pending.due_in() is None
    pending.offer(_change("a", 0), ("p", 0))
    assert pending.due_in() == 1.0
    clock.now += 0.4
    assert pending.due_in() == pytest.approx(0.6)
    pending.offer(_change("b", 0), ("p", 1))
    assert pending.due_in() == 0.0


def test_writes_put_back_go_first_and_merge_with_newer_changes() -> None:
    """A batch that failed unexpectedly goes back first, merged with what came meanwhile."""
    pending = Pending(batch_size=1, linger=0.0, clock=Clock())
    pending.offer(_change("a", 0), ("p", 0))
    taken = pending.take()
    pending.offer(_change("b", 0), ("p", 1))
    pending.offer(_change("a", 1), ("p", 2))
    pending.put_back(taken)
    first = pending.take()[0]
    assert (first.change.lead_id, first.change.seq) == ("a", 1)
    assert first.tokens == [("p", 0), ("p", 2)]


def test_hubspot_properties_carry_every_field_as_text() -> None:
    """Score, parts, p_convert, stage, consideration, interests, reasons, alert, link, id."""
    props = hubspot_properties(_change("ld_1", 4, p_convert=0.62), "https://lp.example/")
    assert props == {
        "leadpulse_score": "72.5",
        "leadpulse_engagement": "60",
        "leadpulse_fit": "12.5",
        "leadpulse_p_convert": "0.62",
        "leadpulse_stage": "mql",
        "leadpulse_consideration": "late",
        "leadpulse_interests": "pricing;security",
        "leadpulse_top_reasons": "demo_requested +50; title +12.5",
        "leadpulse_last_alert": "mql",
        "leadpulse_url": "https://lp.example/dashboard/leads/ld_1",
        "leadpulse_change_id": "lc_ld_1_4",
    }
    assert set(props) == {spec.name for spec in PROPERTIES}


@pytest.mark.parametrize(
    ("stage", "written", "expected"),
    [
        ("mql", None, ("marketingqualifiedlead", 2)),
        ("sql", 2, ("salesqualifiedlead", 3)),
        ("sal", 2, None),
        ("recycle", 5, None),
        ("customer", 4, ("customer", 5)),
    ],
    ids=["first", "forward", "same-rank", "backward", "won"],
)
def test_lifecycle_moves_only_forward(
    stage: str, written: int | None, expected: tuple[str, int] | None
) -> None:
    """A stage at or below the highest one written is left alone."""
    assert lifecycle_move(stage, written, CONFIG) == expected


def test_lifecycle_can_be_left_to_hubspot() -> None:
    """lifecycle: off never writes lifecyclestage."""
    assert lifecycle_move("customer", None, HubSpotConfig(lifecycle="off")) is None


def test_hubspot_rate_headers_are_read() -> None:
    """X-HubSpot-RateLimit-* as HubSpot sends them; absent or bad values are None."""
    seen = rate_headers(
        {
            "X-HubSpot-RateLimit-Max": "100",
            "X-HubSpot-RateLimit-Remaining": "0",
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
        }
    )
    assert (seen.maximum, seen.remaining, seen.interval_seconds) == (100, 0, 10.0)
    assert rate_headers({"X-HubSpot-RateLimit-Max": "x"}).maximum is None


async def test_the_budget_counts_a_rolling_window_and_takes_a_lower_vendor_max() -> None:
    """N requests fill the window; the vendor's smaller max lowers N; time frees room."""
    clock = Clock()
    budget = RequestBudget("test", limit=3, window_seconds=10.0, clock=clock)
    for _ in range(2):
        await budget.acquire()
    assert budget.has_room()
    budget.cap(2)
    assert not budget.has_room()
    clock.now += 10.0
    assert budget.has_room()
    budget.cap(50)
    assert budget.limit == 2


async def test_a_request_counts_in_the_window_from_when_its_answer_came() -> None:
    """The vendor counts arrivals: one that answered 3 s after it was sent holds its place
    in the window until 3 s + the window, not the window after it was sent."""
    clock = Clock()
    budget = RequestBudget("test", limit=1, window_seconds=10.0, clock=clock)
    async with budget.request():
        clock.now += 3.0
    clock.now += 7.5  # 10.5 s after the send, 7.5 s after the answer
    assert not budget.has_room()
    clock.now += 3.0
    assert budget.has_room()
