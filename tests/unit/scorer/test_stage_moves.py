"""One event's stage decision: its signals, where a backdated CRM outcome goes, its moves."""

from __future__ import annotations

from leadpulse.kernel.messages import AccountLost, message_of
from leadpulse.kernel.wire import Envelope, read_envelope
from scorer.core.facts import EventFacts, facts_of
from scorer.core.signals import signals_of
from scorer.core.stage_moves import move_stage, take_step
from scorer.core.stages import Signals
from scorer.core.state import LeadState
from scorer.core.steps import HISTORY_KEPT, Entry
from scorer.storage.writes import WriteSet
from tests.unit.scorer.effects import DAY, RULES, applied, funnel, lead, step, t, view
from tests.unit.scorer.events import at, page, track

EMAIL = "ann@initech.example"
TODAY = "2026-03-02"


def _facts(event_id: str, at_: float, kind: str = "crm", name: str | None = None) -> EventFacts:
    return EventFacts(event_id=event_id, kind=kind, name=name, t=at_)


def _new_lead() -> LeadState:
    state = lead()
    state.stage, state.stage_at = "lead", t(0)
    state.history = [Entry("lead", t(0), "new", "e0").raw()]
    state.steps = [step(t(0), "e0").raw()]
    return state


def test_entering_mql_records_the_move_times_sales_and_alerts_them() -> None:
    v = view()
    ws = WriteSet(v.pk)
    state = _new_lead()
    facts = _facts("demo", t(5), "track", "Demo Requested")
    applied(v, ws, move_stage, state, RULES, to="mql", reason="fast_pass", facts=facts)
    assert (state.stage, state.stage_at) == ("mql", t(5))
    assert state.history[-1][:4] == ["mql", t(5), "fast_pass", "demo"]
    assert funnel(ws)[f"tr|{TODAY}|lead|mql"] == 1
    assert state.sla_member is not None and state.sla_member.startswith("ld_1|mql|")
    assert [a[0] for a in state.alerts] == ["mql"]
    assert [m.topic for m in v.outbound] == ["alerts"]


def test_a_crm_lost_on_a_lead_already_in_recycle_is_no_new_recycle_entry() -> None:
    """The pause restarts from the second loss; the history and the funnel count one entry."""
    v = view()
    ws = WriteSet(v.pk)
    state = _new_lead()
    applied(
        v, ws, move_stage, state, RULES, to="recycle", reason="crm:lost", facts=_facts("l1", t(5))
    )
    applied(
        v, ws, move_stage, state, RULES, to="recycle", reason="crm:lost", facts=_facts("l2", t(9))
    )
    assert [e[0] for e in state.history] == ["lead", "recycle"]
    assert state.history[-1][3] == "l1" and state.stage_at == t(5)
    assert funnel(ws)[f"flow|{TODAY}|recycle"] == 1
    assert state.paused_until == t(9) + 90 * DAY and state.lost


def test_each_loss_is_told_to_the_account_even_on_a_recycled_lead() -> None:
    v = view()
    state = _new_lead()
    state.account = "initech.example"
    for n, event_id in enumerate(("l1", "l2")):
        facts = _facts(event_id, t(5 + n))
        applied(
            v,
            WriteSet(v.pk),
            move_stage,
            state,
            RULES,
            to="recycle",
            reason="crm:lost",
            facts=facts,
        )
    losses = [message_of(read_envelope(m.value)) for m in v.outbound]
    assert [(x.account, x.at) for x in losses if isinstance(x, AccountLost)] == [
        ("initech.example", t(5)),
        ("initech.example", t(6)),
    ]
    assert all(m.key == "account:initech.example" for m in v.outbound)


def test_not_now_recycles_without_counting_as_a_lost_deal() -> None:
    v = view()
    state = _new_lead()
    state.account = "initech.example"
    applied(
        v,
        WriteSet(v.pk),
        move_stage,
        state,
        RULES,
        to="recycle",
        reason="crm:not_now",
        facts=_facts("n", t(5)),
    )
    assert state.stage == "recycle" and not state.lost and v.outbound == []


def test_leaving_recycle_ends_the_pause() -> None:
    v = view()
    state = _new_lead()
    applied(
        v,
        WriteSet(v.pk),
        move_stage,
        state,
        RULES,
        to="recycle",
        reason="crm:lost",
        facts=_facts("l", t(5)),
    )
    applied(
        v,
        WriteSet(v.pk),
        move_stage,
        state,
        RULES,
        to="sal",
        reason="crm:accepted",
        facts=_facts("a", t(9)),
    )
    assert state.paused_until is None and state.stage == "sal"


def test_a_lead_keeps_its_latest_stage_entries() -> None:
    v = view()
    state = _new_lead()
    for n in range(HISTORY_KEPT + 10):
        to = "sal" if n % 2 else "sql"
        applied(
            v,
            WriteSet(v.pk),
            move_stage,
            state,
            RULES,
            to=to,
            reason="crm:x",
            facts=_facts(f"c{n}", t(n)),
        )
    assert len(state.history) == HISTORY_KEPT
    assert state.history[-1][3] == f"c{HISTORY_KEPT + 9}"


def _signals(state: LeadState, event: Envelope, earned: float = 0.0) -> Signals:
    return signals_of(state, facts_of(event), RULES, False, earned)[0]


def test_a_lead_is_identified_by_an_email_or_any_identity_but_an_anonymous_one() -> None:
    assert _signals(lead(), page(email=EMAIL)).identified
    visitor = lead(email=None)
    assert not _signals(visitor, page(anon="b1")).identified
    visitor.keys.append("user:42")
    assert _signals(visitor, page(anon="b1")).identified


def test_a_page_view_half_an_hour_after_the_last_one_is_a_return_visit() -> None:
    state = lead()
    state.last_page = t(0)
    assert not _signals(state, page(email=EMAIL, when=at(29))).nurturing
    assert _signals(state, page(email=EMAIL, when=at(30))).nurturing


def test_behaviour_engages_only_when_it_earned_points() -> None:
    """An unsubscribe (negative points) re-engages nobody; a page view always does."""
    state = lead()
    assert not _signals(state, track("Unsubscribed", email=EMAIL), earned=-25).engaging
    assert _signals(state, track("Email Link Clicked", email=EMAIL), earned=5).engaging
    assert _signals(state, page(email=EMAIL)).engaging


def test_a_webinar_attended_is_a_fast_pass_for_a_target_account_only() -> None:
    target, other = lead(email="cto@globex.example"), lead()
    event = track("Webinar Attended", email="cto@globex.example")
    assert _signals(target, event, earned=25).fast_pass
    assert not _signals(other, track("Webinar Attended", email=EMAIL), earned=25).fast_pass


def test_a_late_event_is_walked_into_its_place_in_the_history() -> None:
    """A demo dated before sales accepted the lead: mql comes before sal, as if in order."""
    v = view()
    ws = WriteSet(v.pk)
    state = _new_lead()
    applied(
        v, ws, move_stage, state, RULES, to="sal", reason="crm:accepted", facts=_facts("ok", t(9))
    )
    state.steps.append(step(t(9), "ok", "ic", extra=["accepted", None]).raw())
    demo = track("Demo Requested", email=EMAIL, when=at(5), event_id="demo")
    facts = facts_of(demo)
    signals, crossed = signals_of(state, facts, RULES, False, 50)
    applied(v, ws, take_step, state, RULES, facts, signals, crossed, {"default": 50.0}, None)
    assert [(e[0], e[1]) for e in state.history] == [("lead", t(0)), ("mql", t(5)), ("sal", t(9))]
    assert state.stage == "sal"
    counts = funnel(ws)
    assert (counts[f"flow|{TODAY}|mql"], counts[f"flow|{TODAY}|sal"]) == (1, 1)
    assert counts[f"tr|{TODAY}|lead|mql"] == counts[f"tr|{TODAY}|mql|sal"] == 1
    assert f"tr|{TODAY}|lead|sal" not in counts
