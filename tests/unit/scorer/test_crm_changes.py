"""When a lead change is due for the CRM connectors (pure decision)."""

from __future__ import annotations

import pytest

from leadpulse.kernel.config import load_config
from leadpulse.kernel.lead_change import LeadChange
from leadpulse.kernel.schema import decode
from scorer.core.config import Rules
from scorer.core.crm_changes import change_id, due_causes, queue_lead_change
from scorer.core.state import LeadState
from scorer.storage.keys import PartitionKeys
from scorer.storage.view import PartitionView
from scorer.storage.writes import WriteSet
from tests.unit.scorer.effects import applied
from tests.unit.scorer.events import at

SENT = [3, 40.0, "lead", "al_1"]


@pytest.mark.parametrize(
    ("stage", "score", "alert", "expected"),
    [
        ("lead", 40.0, "al_1", []),
        ("lead", 49.9, "al_1", []),
        ("lead", 50.0, "al_1", ["score"]),
        ("lead", 30.0, "al_1", ["score"]),
        ("mql", 41.0, "al_1", ["stage"]),
        ("lead", 41.0, "al_2", ["alert"]),
        ("mql", 90.0, "al_2", ["stage", "score", "alert"]),
    ],
    ids=["same", "below-step", "step-up", "step-down", "stage", "alert", "all"],
)
def test_a_change_is_due_on_stage_score_step_or_alert(
    stage: str, score: float, alert: str, expected: list[str]
) -> None:
    """Stage moves, score moves of a whole step since the last sent, and new alerts are due."""
    assert due_causes(SENT, stage, score, alert, 10.0) == expected


def test_the_first_change_of_a_lead_is_due() -> None:
    """A lead never sent before is sent."""
    assert due_causes(None, "visitor", 0.0, None, 10.0) == ["stage"]


def test_change_ids_are_stable_per_lead_and_sequence() -> None:
    """A replay computes the same id; another sequence number gives another id."""
    assert change_id("ld_1", 4) == change_id("ld_1", 4) != change_id("ld_1", 5)


def test_the_change_carries_the_leads_prediction() -> None:
    """With a model live, the CRM gets the p_convert the lead's page shows."""
    rules = Rules.from_config(load_config().scoring, crm_score_step=10.0)
    view = PartitionView(PartitionKeys(0), -1)
    state = LeadState("ld_1", at().timestamp(), email="ann@initech.example", stage="mql")
    state.prediction = {"p_convert": 0.62, "tier": 1}
    applied(view, WriteSet(view.pk), queue_lead_change, state, rules)
    (message,) = view.outbound
    change = decode(LeadChange, message.value)
    assert (message.topic, change.p_convert, change.stage) == ("lead_changes", 0.62, "mql")
