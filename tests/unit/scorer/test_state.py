"""A lead's stored state: only what differs from a new lead is written, and every state
ever stored reads back."""

from __future__ import annotations

import orjson

from scorer.core.state import LeadState, ModelState


def test_a_new_lead_stores_only_its_id_and_times_and_reads_back_equal() -> None:
    state = LeadState(lead_id="ld_1", created=100.0, stage_at=100.0, last_seen=100.0)
    assert orjson.loads(state.dumps()) == {
        "lead_id": "ld_1",
        "created": 100.0,
        "stage_at": 100.0,
        "last_seen": 100.0,
    }
    assert LeadState.loads(state.dumps()) == state


def test_a_lead_with_models_steps_and_history_reads_back_equal() -> None:
    state = LeadState(lead_id="ld_2", created=1.0, stage="mql", email="kay@initech.example")
    state.models["default"] = ModelState(anchor=1.0, engagement={"page_view": [3.0, 2.0]})
    state.history = [["mql", 2.0, "score_threshold", "e2", None, None, None, None]]
    state.steps = [[2.0, "e2", "k", {"default": 3.0}, None, None, None, None]]
    assert LeadState.loads(state.dumps()) == state


def test_a_state_stored_before_every_closed_horizon_was_kept_still_reads() -> None:
    """Older states held one closed horizon (a number) or none (null)."""
    one = orjson.dumps({"lead_id": "ld_3", "created": 1.0, "horizon_closed": 5.0})
    none = orjson.dumps({"lead_id": "ld_4", "created": 1.0, "horizon_closed": None})
    assert LeadState.loads(one).horizon_closed == [5.0]
    assert LeadState.loads(none).horizon_closed == []


def test_a_state_stored_with_every_field_written_out_reads_back() -> None:
    """What the scorer wrote before defaults were left out: every field, nulls included."""
    full = {
        "lead_id": "ld_5",
        "created": 1.0,
        "stage": "lead",
        "email": None,
        "models": {
            "default": {
                "anchor": 1.0,
                "half_life_days": 30.0,
                "engagement": {},
                "caps": {},
                "fit": {},
                "fit_at": 0.0,
            }
        },
        "prediction": None,
        "examples": [],
        "example_rev": 0,
    }
    state = LeadState.loads(orjson.dumps(full))
    assert state.stage == "lead" and state.models["default"].anchor == 1.0


def test_a_default_equal_but_not_identical_is_left_out_and_reads_back_as_the_default() -> None:
    """A half-life from config, or a 0.0 decoded from an older state, equals the default:
    it is not written out, and reads back the same."""
    model = ModelState(anchor=1.0, half_life_days=float("30"), fit_at=float("0"))
    state = LeadState(lead_id="ld_6", created=1.0, account_at=float("0"))
    state.models["default"] = model
    stored = orjson.loads(state.dumps())
    assert stored == {"lead_id": "ld_6", "created": 1.0, "models": {"default": {"anchor": 1.0}}}
    older = orjson.dumps({**stored, "account_at": 0.0})
    assert orjson.loads(LeadState.loads(older).dumps()) == stored
    assert LeadState.loads(state.dumps()) == state
    assert ModelState(anchor=1.0, half_life_days=7.0).half_life_days == 7.0
