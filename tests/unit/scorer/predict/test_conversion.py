"""`core.conversion`, piece by piece: a lead's decisions, who it is as features, its model."""

from __future__ import annotations

from leadpulse.kernel.config import load_config
from leadpulse.kernel.config.predict import PredictModel
from scorer.core.config import Rules
from scorer.core.conversion.decisions import deadline_of, decision_at, decisions_of, watch
from scorer.core.conversion.features import features_of
from scorer.core.conversion.profile import band, profile_of, profile_to_record
from scorer.core.conversion.segments import model_for
from scorer.core.conversion.summary import identified
from scorer.core.effects import EffectLog, WatchDecision
from scorer.core.state import LeadState
from scorer.core.steps import Entry
from tests.unit.scorer.effects import RULES, lead, step, t

STAGES = RULES.predict.decision_stages


def _history(*entries: Entry) -> LeadState:
    state = lead()
    state.history = [e.raw() for e in entries]
    return state


def test_a_decision_is_the_first_decision_stage_entry_since_the_last_outcome() -> None:
    state = _history(
        Entry("lead", t(0), "new"),
        Entry("mql", t(1), "score"),
        Entry("customer", t(2), "crm:won"),
        Entry("recycle", t(3), "crm:lost"),
        Entry("mql", t(4), "score"),
        Entry("sal", t(5), "crm:accepted"),
    )
    found = decisions_of(state, STAGES)
    assert [(d, e.reason if e else None) for d, e in found] == [
        ((t(1), "mql"), "crm:won"),
        ((t(4), "mql"), None),
    ]
    assert decision_at(state, STAGES) == (t(4), "mql")


def test_a_closed_decision_has_no_timer() -> None:
    state = _history(Entry("mql", t(1), "score"))
    log = EffectLog()
    watch(log, state, t(1), RULES)
    assert log.effects().items == (
        WatchDecision(f"{state.lead_id}|{t(1)!r}", deadline_of(t(1), RULES)),
    )
    state.horizon_closed = [t(1)]
    log = EffectLog()
    watch(log, state, t(1), RULES)
    assert log.effects().items == ()


def test_the_profile_names_seniority_size_industry_and_domain() -> None:
    state = lead()
    state.traits = {"title": "VP Marketing", "company_size": "450", "industry": "Software"}
    profile = profile_of(state, RULES)
    assert {"seniority:senior", "size:<1000", "industry:software", "domain:business"} <= set(
        profile
    )
    state.email = "ann@gmail.com"
    assert "domain:free" in profile_of(state, RULES)
    assert band(5, (2, 5, 10)) == "<10" and band(50, (2, 5, 10)) == ">=10"


def test_a_step_records_the_profile_only_when_it_changed() -> None:
    state = lead()
    state.traits = {"title": "Analyst"}
    first = profile_to_record(state, RULES, t(1), traits_changed=True)
    assert first is not None and "seniority:junior" in first
    state.steps = [step(t(1), "e1")._replace(profile=first).raw()]
    assert profile_to_record(state, RULES, t(2), traits_changed=False) is None
    state.traits = {"title": "Director of IT"}
    changed = profile_to_record(state, RULES, t(2), traits_changed=True)
    assert changed is not None and "seniority:senior" in changed


def test_an_event_older_than_every_recorded_profile_records_one() -> None:
    """A late event's step holds the profile, when no step at or before its time has one."""
    state = lead()
    state.traits = {"title": "Analyst"}
    profile = profile_of(state, RULES)
    state.steps = [
        step(t(1), "e1").raw(),
        step(t(5), "e5")._replace(profile=profile).raw(),
        step(t(9), "e9").raw(),
    ]
    assert profile_to_record(state, RULES, t(2), traits_changed=False) == profile
    assert profile_to_record(state, RULES, t(5), traits_changed=False) is None
    assert profile_to_record(state, RULES, t(12), traits_changed=False) is None


def test_features_come_from_the_steps_up_to_the_moment() -> None:
    state = lead()
    state.created = t(0)
    state.steps = [
        list(step(t(0), "p0", "p", 10.0)),
        list(step(t(days=1), "f1", "f", 40.0)),
        list(step(t(days=20), "p20", "p", 10.0)),
    ]
    early = features_of(state, RULES, t(days=1))
    assert "fast_pass:yes" in early and "pages:<2" in early and "age:<7d" in early
    late = features_of(state, RULES, t(days=20))
    assert "pages:<5" in late and "age:<28d" in late
    assert features_of(state, RULES, t(days=1)) == early  # the same moment, the same list


def test_a_lead_belongs_to_the_first_model_whose_traits_it_has() -> None:
    config = load_config()
    models = [
        PredictModel(name="enterprise", traits={"segment": ["Enterprise"]}),
        PredictModel(name="default"),
    ]
    rules = Rules.from_config(
        config.scoring, predict=config.predict.model_copy(update={"models": models})
    )
    state = lead()
    assert model_for(state, rules) == "default"
    state.traits = {"segment": " enterprise "}
    assert model_for(state, rules) == "enterprise"
    only = Rules.from_config(
        config.scoring, predict=config.predict.model_copy(update={"models": models[:1]})
    )
    state.traits = {}
    assert model_for(state, only) is None


def test_only_a_known_person_is_predicted() -> None:
    assert identified(lead())
    assert not identified(lead("ld_anon", email=None))
