"""A lost deal at an account, and other people of that account coming back to the site."""

from __future__ import annotations

from leadpulse.kernel.messages import AccountLost, AccountVisit, message_of
from leadpulse.kernel.schema import Alert, decode
from leadpulse.kernel.wire import read_envelope
from scorer.core.account_events import notify_lost, notify_visit
from scorer.core.facts import EventFacts, facts_of
from scorer.handlers.account_returns import on_account_lost, on_account_visit
from scorer.storage.effects import apply_effects
from scorer.storage.view import PartitionView
from scorer.storage.writes import WriteSet
from tests.unit.scorer.effects import RULES, applied, lead, t, view
from tests.unit.scorer.events import at, page, track

ACCOUNT = "initech.example"


def _sent(v: PartitionView) -> list[object]:
    return [message_of(read_envelope(m.value)) for m in v.outbound]


def test_a_lost_deal_is_told_to_the_accounts_partition_once_per_loss() -> None:
    v = view()
    state = lead()
    state.account = ACCOUNT
    facts = EventFacts(event_id="l1", kind="crm", name="lost", t=t(5))
    applied(v, WriteSet(v.pk), notify_lost, state, facts)
    applied(v, WriteSet(v.pk), notify_lost, state, facts)
    assert _sent(v) == [AccountLost(account=ACCOUNT, lead_id="ld_1", at=t(5))] * 2
    assert v.outbound[0].key == f"account:{ACCOUNT}"
    assert v.outbound[0].msg_id == v.outbound[1].msg_id  # a replay dedupes


def test_a_lead_without_an_account_tells_nobody() -> None:
    v = view()
    applied(
        v,
        WriteSet(v.pk),
        notify_lost,
        lead(),
        EventFacts(event_id="l1", kind="crm", name="lost", t=0),
    )
    assert v.outbound == []


def test_only_a_real_page_view_after_the_loss_counts_as_a_visit() -> None:
    v = view()
    v.lost_accounts = {ACCOUNT: t(10)}
    state = lead("ld_bob", email="bob@initech.example")
    state.account = ACCOUNT
    email = "bob@initech.example"
    for event in (
        page(email=email, when=at(5)),  # before the loss
        track("Email Opened", email=email, when=at(20)),
        page(email=email, when=at(20), bot=True),
    ):
        applied(v, WriteSet(v.pk), notify_visit, v.lost_accounts, state, RULES, facts_of(event))
    assert v.outbound == []
    applied(
        v,
        WriteSet(v.pk),
        notify_visit,
        v.lost_accounts,
        state,
        RULES,
        facts_of(page(email=email, when=at(20))),
    )
    (visit,) = _sent(v)
    assert isinstance(visit, AccountVisit)
    assert (visit.account, visit.lead_id, visit.at) == (ACCOUNT, "ld_bob", t(20))


def _visit(v: PartitionView, who: str, minutes: float = 0, days: float = 0) -> list[Alert]:
    when = at(minutes, days)
    visit = AccountVisit(
        account=ACCOUNT,
        lead_id=who,
        at=when.timestamp(),
        lead={"lead_id": who, "stage": "lead", "score": 0},
    )
    apply_effects(on_account_visit(v, page(anon=who, when=when), visit, RULES), v, WriteSet(v.pk))
    return [decode(Alert, m.value) for m in v.outbound if m.topic == "alerts"]


def _lost(v: PartitionView, who: str = "ld_ann", minutes: float = 0) -> None:
    apply_effects(
        on_account_lost(v, AccountLost(account=ACCOUNT, lead_id=who, at=t(minutes))),
        v,
        WriteSet(v.pk),
    )


def test_three_visits_by_other_people_after_the_loss_raise_one_alert() -> None:
    v = view()
    _lost(v)
    assert _visit(v, "ld_bob", 10) == _visit(v, "ld_cy", days=3) == []
    (alert,) = _visit(v, "ld_bob", days=5)
    assert (alert.type, alert.account_id) == ("lost_deal_returned", ACCOUNT)
    assert alert.reason == f"3 visits from {ACCOUNT} after a lost deal there"
    assert alert.lead.lead_id == "ld_bob"
    assert len(_visit(v, "ld_dee", days=6)) == 1  # back once: no second alert


def test_the_people_who_lost_the_deal_are_not_its_return() -> None:
    v = view()
    _lost(v, "ld_ann")
    _lost(v, "ld_bob", 1)
    for minutes in (10, 20, 30, 40):
        _visit(v, "ld_ann", minutes)
        _visit(v, "ld_bob", minutes)
    assert _visit(v, "ld_cy", 50) == []


def test_visits_before_the_loss_or_spread_wider_than_the_window_do_not_add_up() -> None:
    v = view()
    _lost(v, minutes=60)
    assert _visit(v, "ld_bob", 30) == []  # before the loss
    _visit(v, "ld_bob", days=1)
    _visit(v, "ld_cy", days=2)
    assert _visit(v, "ld_dee", days=15.5) == []  # the first is more than 14 days back
    assert len(_visit(v, "ld_eve", days=15.6)) == 1


def test_a_late_visit_counts_only_with_the_visits_within_the_window_of_it() -> None:
    v = view()
    _lost(v)
    assert _visit(v, "ld_bob", days=2) == _visit(v, "ld_cy", days=15) == []
    assert _visit(v, "ld_dee", days=0.5) == []  # no 14 days hold three visits
    (alert,) = _visit(v, "ld_eve", days=1)
    assert alert.reason == f"3 visits from {ACCOUNT} after a lost deal there"


def test_a_visit_to_an_account_without_a_lost_deal_is_ignored() -> None:
    v = view()
    assert _visit(v, "ld_bob", 10) == [] and v.lost_records == {}


def test_a_visit_is_decided_without_touching_the_record_the_view_holds() -> None:
    """Counting a visit returns the record to keep; the view's record changes when applied."""
    v = view()
    _lost(v)
    held = v.lost_records[ACCOUNT]
    assert held is not None
    when = at(10)
    visit = AccountVisit(
        account=ACCOUNT, lead_id="ld_bob", at=when.timestamp(), lead={"lead_id": "ld_bob"}
    )
    effects = on_account_visit(v, page(anon="ld_bob", when=when), visit, RULES)
    assert held["visits"] == [] and v.lost_records[ACCOUNT] is held
    apply_effects(effects, v, WriteSet(v.pk))
    kept = v.lost_records[ACCOUNT]
    assert kept is not None and kept["visits"] == [when.timestamp()]
