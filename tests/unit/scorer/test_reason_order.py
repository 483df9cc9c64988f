"""A lead's reasons read in one order, whichever rule fired first: a merge or a rescore may
see two rules of equal weight fire in another order than live did."""

from __future__ import annotations

from scorer.core.scoring import model_score, ranked
from scorer.core.state import LeadState, ModelState
from scorer.read.store import score_view
from tests.unit.scorer.events import at

T = at().timestamp()


def _state(*fired: str) -> LeadState:
    engagement = {rule: [10.0, T] for rule in fired} | {"page_view": [1.0, T]}
    return LeadState("ld_1", T, models={"default": ModelState(anchor=T, engagement=engagement)})


def test_the_read_api_ranks_equal_weights_by_rule_name() -> None:
    for state in (_state("form_submitted", "case_study"), _state("case_study", "form_submitted")):
        rows = score_view(state, T)["breakdown"]
        assert [row["rule"] for row in rows] == ["case_study", "form_submitted", "page_view"]


def test_alert_reasons_rank_equal_weights_by_rule_name() -> None:
    for state in (_state("form_submitted", "case_study"), _state("case_study", "form_submitted")):
        rows = ranked(model_score(state.models["default"], 30, T).breakdown)
        assert [rule for rule, _, _ in rows] == ["case_study", "form_submitted", "page_view"]
