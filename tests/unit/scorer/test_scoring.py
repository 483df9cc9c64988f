"""One event scored on every model of a lead (`score_lead`)."""

from __future__ import annotations

from scorer.core.facts import facts_of
from scorer.core.scoring import score_lead
from scorer.core.state import LeadState
from tests.unit.scorer.effects import RULES
from tests.unit.scorer.events import at, page

MODELS, LISTS = RULES.compiled.models, RULES.compiled.lists


def _lead() -> LeadState:
    t = at().timestamp()
    email = "ann@initech.example"
    return LeadState(lead_id="ld_1", created=t, stage_at=t, last_seen=t, email=email)


def test_an_event_scores_each_model_and_reports_what_each_rule_gave() -> None:
    lead = _lead()
    awarded, points = score_lead(lead, MODELS, facts_of(page("/demo/pricing")), LISTS, refit=False)
    assert list(points) == [m.name for m in MODELS] == list(lead.models)
    assert awarded and sum(points.values()) == sum(p for _, p in awarded) > 0
    engagement = lead.models[MODELS[0].name].engagement
    assert {rule for rule, _ in awarded} <= set(engagement)


def test_fit_is_worked_out_again_only_when_told_to_or_for_a_new_model() -> None:
    lead = _lead()
    lead.traits["title"] = "VP Sales"
    score_lead(lead, MODELS, facts_of(page("/a")), LISTS, refit=False)  # new: fit worked out
    model = lead.models[MODELS[0].name]
    assert model.fit.get("senior_title") == 20
    lead.traits["title"] = "Intern"
    score_lead(lead, MODELS, facts_of(page("/b")), LISTS, refit=False)
    assert model.fit.get("senior_title") == 20  # traits unchanged as far as it was told
    score_lead(lead, MODELS, facts_of(page("/c")), LISTS, refit=True)
    assert "senior_title" not in model.fit
