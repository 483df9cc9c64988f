"""The receiving side of identity work: a merge into the survivor, forgetting, account touches."""

from __future__ import annotations

import orjson

from leadpulse.kernel.messages import AccountTouch, Forget, Merge, Snapshot, message_of
from leadpulse.kernel.schema import Alert, decode
from leadpulse.kernel.wire import read_envelope
from scorer.core.stage_effects import mql_alert_id
from scorer.core.stage_walk import entries_of
from scorer.core.state import LeadState, ModelState
from scorer.core.steps import Entry
from scorer.core.timeline import entries
from scorer.handlers.account_touch import on_account_touch
from scorer.handlers.forget import on_forget
from scorer.handlers.merge import apply_merge
from scorer.storage.effects import apply_effects
from scorer.storage.funnel import count_history
from scorer.storage.keys import suppression_digest
from scorer.storage.view import PartitionView
from scorer.storage.writes import WriteSet
from tests.unit.scorer.effects import RULES, funnel, lead, step, t, view
from tests.unit.scorer.events import at, forget, page

SURVIVOR = "email:ann@initech.example"
DAY1 = "2026-03-02"


def _survivor(v: PartitionView) -> LeadState:
    """Ann, identified at minute 5, on the survivor's partition."""
    state = lead("ld_ann")
    state.stage, state.stage_at, state.last_seen = "lead", t(5), t(5)
    state.history = [Entry("lead", t(5), "new", "id1").raw()]
    state.steps = [step(t(5), "id1").raw()]
    state.traits = {"title": "VP Sales"}
    state.topics = {"pricing": 1}
    v.leads["ld_ann"] = state
    v.identities[SURVIVOR] = "ld_ann"
    return state


def _visitor() -> LeadState:
    """The browser Ann used before she identified: two pages and a demo request."""
    src = LeadState("ld_b1", t(0), keys=["anon:b1"], stage_at=t(0), last_seen=t(3))
    src.history = [Entry("visitor", t(0), "new", "p1").raw()]
    src.steps = [step(t(0), "p1", "pe", 1).raw(), step(t(2), "demo", "f", 50).raw()]
    src.traits = {"title": "intern", "company": "Initech"}
    src.topics = {"pricing": 2, "security": 1}
    src.models = {"default": ModelState(anchor=t(0), engagement={"demo_requested": [50.0, t(2)]})}
    return src


def _merge(v: PartitionView, src: LeadState, *timeline: dict[str, object]) -> WriteSet:
    snapshot = Snapshot(
        lead=orjson.loads(src.dumps()), timeline=tuple(orjson.dumps(e).decode() for e in timeline)
    )
    merge = Merge(survivor=SURVIVOR, snapshot=snapshot)
    ws = WriteSet(v.pk)
    apply_effects(
        apply_merge(v, page(email="ann@initech.example", when=at(6)), merge, RULES), v, ws
    )
    return ws


def test_a_merged_visitors_demo_request_fast_passes_the_survivor() -> None:
    v = view()
    state = _survivor(v)
    _merge(v, _visitor())
    assert [(e[0], e[1]) for e in state.history] == [
        ("visitor", t(0)),
        ("lead", t(5)),
        ("mql", t(5)),
    ]
    assert state.history[-1][2:4] == ["fast_pass", "demo"]
    assert [s[1] for s in state.steps] == ["p1", "demo", "id1"]
    assert v.identities["anon:b1"] == "ld_ann" and "anon:b1" in state.keys
    (alert,) = [decode(Alert, m.value) for m in v.outbound if m.topic == "alerts"]
    assert alert.trigger_event_id == "demo"


def test_the_funnel_counts_the_joined_history_once() -> None:
    """Both sides' counts are taken back; the walked history is counted."""
    v = view()
    state, src = _survivor(v), _visitor()
    before = [entries_of(state.history), entries_of(src.history)]
    ws = _merge(v, src)
    for history in before:
        count_history(ws, v.pk, history, 1)  # what the two partitions had counted
    expected = WriteSet(v.pk)
    count_history(expected, v.pk, entries_of(state.history), 1)
    assert funnel(ws) == funnel(expected)


def test_the_survivor_keeps_its_own_traits_and_both_sides_interests_add_up() -> None:
    v = view()
    state = _survivor(v)
    _merge(v, _visitor())
    assert state.traits == {"title": "VP Sales", "company": "Initech"}
    assert state.topics == {"pricing": 3, "security": 1}
    assert (state.created, state.last_seen, state.email) == (t(0), t(5), "ann@initech.example")
    assert state.models["default"].engagement["demo_requested"][0] > 0


def test_an_event_both_sides_hold_is_one_step() -> None:
    v = view()
    state = _survivor(v)
    src = _visitor()
    src.steps.append(step(t(5), "id1").raw())
    _merge(v, src)
    assert [s[1] for s in state.steps] == ["p1", "demo", "id1"]


def test_the_visitors_timeline_joins_the_survivors_in_time_order() -> None:
    """Here the visitor's timeline comes as an earlier version kept it: apart from its steps."""
    v = view()
    state = _survivor(v)
    state.steps = [step(t(5), "id1")._replace(shown=["identify"]).raw()]
    _merge(v, _visitor(), {"at": t(2), "id": "demo"}, {"at": t(0), "id": "p1"})
    assert [e["id"] for e in entries(state.steps)] == ["id1", "demo", "p1"]


def test_a_merge_for_a_survivor_merged_onward_is_passed_on() -> None:
    v = view()
    v.forwards[SURVIVOR] = "user:42"
    _merge(v, _visitor())
    (sent,) = v.outbound
    merge = message_of(read_envelope(sent.value))
    assert sent.key == "user:42" and isinstance(merge, Merge)
    assert merge.survivor == "user:42" and merge.snapshot.lead["lead_id"] == "ld_b1"


def test_a_merge_for_a_forgotten_survivor_takes_the_visitor_out_of_the_funnel() -> None:
    v = view()
    ws = _merge(v, _visitor())
    assert funnel(ws) == {"bal|2026-03-02|visitor": -1}
    assert v.outbound == [] and not v.dirty


def test_a_lead_stored_before_steps_were_kept_keeps_its_stage() -> None:
    v = view()
    state = _survivor(v)
    state.steps = []
    ws = _merge(v, _visitor())
    assert state.stage == "lead" and funnel(ws) == {f"bal|{DAY1}|visitor": -1}


def test_forgetting_a_person_removes_them_and_keeps_them_out() -> None:
    v = view()
    state = _survivor(v)
    state.keys.append("anon:b1")
    v.identities["anon:b1"] = "ld_ann"
    v.forwards["anon:b7"] = SURVIVOR
    ws = WriteSet(v.pk)
    request = forget("ann@initech.example", when=at(60))
    apply_effects(on_forget(v, request, Forget(identities=("anon:b7",)), SURVIVOR), v, ws)
    assert v.leads["ld_ann"] is None and v.identities == {} and v.forwards == {}
    keys = {SURVIVOR, "anon:b1", "anon:b7"}
    assert v.suppressed == {suppression_digest(k) for k in keys}
    assert funnel(ws) == {f"bal|{DAY1}|lead": -1}
    assert sorted(m.key for m in v.outbound) == ["anon:b1", "anon:b7"]


def test_a_forget_sent_on_by_another_partition_is_not_sent_on_again() -> None:
    v = view()
    apply_effects(
        on_forget(v, forget("x@initech.example"), Forget(cascade=True), "anon:b1"),
        v,
        WriteSet(v.pk),
    )
    assert v.outbound == [] and suppression_digest("anon:b1") in v.suppressed


def _touch(v: PartitionView, person: str, days: float) -> list[Alert]:
    event = page(anon=person, when=at(days=days))
    touch = AccountTouch(account="initech.example", lead_id=person, at=t(days=days))
    apply_effects(on_account_touch(v, event, touch, RULES), v, WriteSet(v.pk))
    return [decode(Alert, m.value) for m in v.outbound if m.topic == "alerts"]


def test_three_people_of_an_account_engaged_within_thirty_days_are_a_buying_group() -> None:
    v = view()
    assert _touch(v, "p1", 0) == _touch(v, "p2", 10) == []
    (alert,) = _touch(v, "p3", 20)
    assert (alert.type, alert.account_id) == ("buying_group", "initech.example")
    assert alert.reason == "3 engaged people at initech.example in 30 days"
    assert len(_touch(v, "p4", 25)) == 1  # not again within the window


def test_people_engaged_longer_ago_than_the_window_do_not_count() -> None:
    v = view()
    _touch(v, "p1", 0)
    _touch(v, "p2", 10)
    assert _touch(v, "p3", 31) == []
    assert len(_touch(v, "p4", 32)) == 1


def test_alerts_the_merged_away_lead_raised_stay_on_the_survivor() -> None:
    """A lost deal's return raised on the email's lead before it merged into the user id's:
    the survivor's record keeps it, beside its own, in time order."""
    v = view()
    state = _survivor(v)
    state.alerts = [["sla_breach", "al_own", t(4)]]
    src = _visitor()
    src.alerts = [["lost_deal_returned", "al_back", t(3)]]
    src.lost_returned = True
    _merge(v, src)
    assert [a[1] for a in state.alerts][:2] == ["al_back", "al_own"]  # then the new mql
    assert state.lost_returned


def test_an_mql_the_merged_away_lead_already_alerted_is_not_alerted_again() -> None:
    """Ann's email lead reached mql on her demo request and sales was alerted; then it merged
    into the lead of her user id. The walk over both reaches mql on the same demo: the same
    alert, kept, not a second one."""
    v = view()
    state = _survivor(v)
    src = LeadState("ld_mail", t(1), keys=["email:ann@mail.example"], stage="mql", stage_at=t(2))
    src.history = [
        Entry("lead", t(1), "new", "e0").raw(),
        Entry("mql", t(2), "fast_pass", "demo").raw(),
    ]
    src.steps = [step(t(1), "e0", "k").raw(), step(t(2), "demo", "kf", 50).raw()]
    src.alerts = [["mql", mql_alert_id("lead", "demo"), t(2)]]
    _merge(v, src)
    assert [(e[0], e[3]) for e in state.history] == [("lead", "e0"), ("mql", "demo")]
    assert [m for m in v.outbound if m.topic == "alerts"] == []
    assert [a[1] for a in state.alerts] == [mql_alert_id("lead", "demo")]
