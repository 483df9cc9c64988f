"""One behavior or CRM event applied to one lead: identity, scores, timeline, alerts."""

from __future__ import annotations

from leadpulse.kernel.messages import AccountTouch, message_of
from leadpulse.kernel.schema import Alert, decode
from leadpulse.kernel.wire import Envelope, read_envelope
from scorer.core.behavior import apply_event
from scorer.core.facts import facts_of
from scorer.core.state import LeadState
from scorer.core.timeline import entries, score_points
from scorer.storage.view import PartitionView
from scorer.storage.writes import WriteSet
from tests.unit.scorer.effects import RULES, applied, lead, step, t, view
from tests.unit.scorer.events import at, crm, identify, page, track

EMAIL = "ann@initech.example"


def _apply(v: PartitionView, state: LeadState, *events: Envelope) -> WriteSet:
    ws = WriteSet(v.pk)
    for event in events:
        applied(
            v,
            ws,
            apply_event,
            state,
            RULES,
            facts_of(event),
            [event.key],
            accounts=v.accounts,
            lost_accounts=v.lost_accounts,
        )
    return ws


def _new() -> tuple[PartitionView, LeadState]:
    """A lead as its identify left it: a `lead` entry and that identified step."""
    v, state = view(), lead()
    state.stage, state.history = "lead", [["lead", t(0), "new", "e0"]]
    state.steps = [step(t(0), "e0").raw()]
    return v, state


def _alerts(v: PartitionView, kind: str) -> list[Alert]:
    alerts = [decode(Alert, m.value) for m in v.outbound if m.topic == "alerts"]
    return [a for a in alerts if a.type == kind]


def test_a_lost_lead_visiting_three_times_in_two_weeks_alerts_sales_once() -> None:
    v, state = _new()
    _apply(v, state, crm("lost", email=EMAIL, when=at(5)))
    visits = [page("/demo/pricing", email=EMAIL, when=at(0, days=d)) for d in (1, 3, 9)]
    _apply(v, state, *visits)
    (alert,) = _alerts(v, "lost_deal_returned")
    assert alert.trigger_event_id == visits[-1].event_id
    assert alert.reason == "3 visits in 14 days after a lost deal"
    _apply(v, state, page(email=EMAIL, when=at(0, days=10)))
    assert len(_alerts(v, "lost_deal_returned")) == 1


def test_a_deal_won_after_it_was_lost_has_no_lost_deal_to_return_from() -> None:
    v, state = _new()
    _apply(v, state, crm("lost", email=EMAIL, when=at(5)))
    _apply(v, state, crm("won", email=EMAIL, when=at(0, days=1)))
    assert state.stage == "customer"
    _apply(v, state, *[page(email=EMAIL, when=at(0, days=d)) for d in (2, 3, 4)])
    assert _alerts(v, "lost_deal_returned") == []


def test_a_loss_reported_late_before_the_win_leaves_no_lost_deal_either() -> None:
    """The walk's view: `lost` arrives after `won` but is dated before it."""
    v, state = _new()
    _apply(v, state, crm("won", email=EMAIL, when=at(0, days=1)))
    _apply(v, state, crm("lost", email=EMAIL, when=at(0, days=0.5)))
    assert [entry[0] for entry in state.history][-2:] == ["recycle", "customer"]
    _apply(v, state, *[page(email=EMAIL, when=at(0, days=d)) for d in (2, 3, 4)])
    assert _alerts(v, "lost_deal_returned") == []


def test_visits_spread_wider_than_the_window_are_no_return() -> None:
    v, state = _new()
    _apply(v, state, crm("lost", email=EMAIL, when=at(5)))
    _apply(v, state, *[page(email=EMAIL, when=at(0, days=d)) for d in (1, 16, 31)])
    assert _alerts(v, "lost_deal_returned") == []


def test_pages_from_before_the_loss_that_come_late_are_no_return() -> None:
    """A browser's batch sent after sales marked the deal lost: those visits were before it."""
    v, state = _new()
    _apply(v, state, crm("lost", email=EMAIL, when=at(0, days=5)))
    _apply(v, state, *[page(email=EMAIL, when=at(0, days=d)) for d in (1, 2, 3)])
    assert _alerts(v, "lost_deal_returned") == []
    _apply(v, state, *[page(email=EMAIL, when=at(0, days=d)) for d in (6, 7, 8)])
    assert len(_alerts(v, "lost_deal_returned")) == 1


def test_a_late_visit_counts_only_with_the_visits_within_the_window_of_it() -> None:
    """Visits on days 2 and 15, then one of day 0.5 comes late: no 14 days hold three."""
    v, state = _new()
    _apply(v, state, crm("lost", email=EMAIL, when=at(5)))
    _apply(v, state, *[page(email=EMAIL, when=at(0, days=d)) for d in (2, 15, 0.5)])
    assert _alerts(v, "lost_deal_returned") == []
    late = page(email=EMAIL, when=at(0, days=1))
    _apply(v, state, late)
    (alert,) = _alerts(v, "lost_deal_returned")
    assert alert.reason == "3 visits in 14 days after a lost deal"
    assert alert.trigger_event_id == late.event_id


def test_the_account_is_the_email_domain_unless_it_is_free_mail_or_named() -> None:
    v, state = _new()
    _apply(v, state, identify(email=EMAIL))
    assert state.account == "initech.example"
    free = lead("ld_2", email="ann@gmail.com")
    _apply(v, free, identify(email="ann@gmail.com"))
    assert free.account is None
    named = lead("ld_3", email="ann@gmail.com")
    _apply(v, named, identify(email="ann@gmail.com", traits={"account_id": "ACME-42"}))
    assert named.account == "acme-42"


def test_a_lead_keeps_scalar_traits_up_to_a_limit_and_never_its_email_twice() -> None:
    v, state = _new()
    traits: dict[str, object] = {f"t{n:02d}": n for n in range(50)}
    traits |= {"email": "other@initech.example", "address": {"city": "Berlin"}}
    _apply(v, state, identify(email=EMAIL, traits=traits))
    assert len(state.traits) == 40 and "email" not in state.traits
    assert "address" not in state.traits
    _apply(v, state, identify(email=EMAIL, traits={"t00": "changed", "t49": "new"}))
    assert state.traits["t00"] == "changed" and "t49" not in state.traits


def test_a_bot_page_view_scores_nothing_moves_nothing_and_shows_as_flagged() -> None:
    v, state = _new()
    steps = list(state.steps)
    _apply(v, state, page("/demo/pricing", email=EMAIL, when=at(50), bot=True))
    assert state.models == {} and state.stage == "lead"
    # Its step says only that it named a person: no points, no page, no engagement.
    (step,) = state.steps[len(steps) :]
    assert step[2] == "k" and step[3] == {}
    entry = entries(state.steps)[0]
    assert entry["flagged"] == "bot" and "points" not in entry
    assert score_points(state.steps) == []  # nor a point on the score history


def test_the_timeline_shows_the_points_each_event_earned() -> None:
    v, state = _new()
    _apply(v, state, page("/demo/pricing", email=EMAIL, when=at(1)))
    (entry,) = entries(state.steps)
    assert score_points(state.steps) == [[t(1), 11.0]]
    assert entry["path"] == "/demo/pricing"
    assert sorted(entry["points"]) == [["page_view", 1.0], ["pricing_page", 10.0]]


def test_an_engaged_person_tells_the_account_at_most_every_quarter_window() -> None:
    """A buying group counts people engaged in 30 days: a touch every 7.5 days is enough."""
    v, state = _new()
    state.account = "initech.example"
    days = (0, 1, 7, 8)
    _apply(v, state, *[track("Email Link Clicked", email=EMAIL, when=at(0, days=d)) for d in days])
    touches = [message_of(read_envelope(m.value)) for m in v.outbound]
    ats = [x.at for x in touches if isinstance(x, AccountTouch)]
    assert ats == [t(days=0), t(days=8)]
