"""A long-lived lead's older steps are kept apart from its state and written when they
change; read back, the lead is the one that was saved."""

from __future__ import annotations

from typing import Any

from scorer.core.state import LeadState
from scorer.core.state_layout import TAIL_MAX, TAIL_MIN, load_lead, store_lead
from scorer.core.steps import STEPS_KEPT, Step, insert_step


class _Valkey:
    """The two keys a save writes, as apply.lua leaves them."""

    def __init__(self) -> None:
        self.state: bytes | None = None
        self.past: bytes | None = None
        self.past_writes = 0

    def save(self, state: LeadState) -> None:
        stored = store_lead(state)
        self.state = stored.state
        if stored.past is not None:
            self.past = stored.past
            self.past_writes += 1
        elif stored.drop_past:
            self.past = None

    def load(self) -> LeadState:
        assert self.state is not None
        return load_lead(self.state, self.past)


def _add(state: LeadState, n: int, t: float | None = None) -> None:
    insert_step(state.steps, Step(float(n) if t is None else t, f"e{n}", "p", {"default": 1.0}))


def _ids(state: LeadState) -> list[Any]:
    return [step[1] for step in state.steps]


def test_a_lead_saved_at_every_event_reads_back_as_it_was() -> None:
    state, valkey = LeadState(lead_id="ld_1", created=0.0), _Valkey()
    for n in range(STEPS_KEPT + 60):
        _add(state, n)
        valkey.save(state)
        assert valkey.load() == state
    assert _ids(valkey.load()) == [f"e{n}" for n in range(60, STEPS_KEPT + 60)]
    # The older steps were written once TAIL_MAX steps were held, then once per gathering.
    gathered = TAIL_MAX - TAIL_MIN
    assert valkey.past_writes == (STEPS_KEPT + 60 - TAIL_MAX - 1) // gathered + 1


def test_a_lead_with_few_steps_keeps_them_in_its_state() -> None:
    state, valkey = LeadState(lead_id="ld_1", created=0.0), _Valkey()
    for n in range(TAIL_MAX):
        _add(state, n)
        valkey.save(state)
    assert valkey.past is None and valkey.past_writes == 0
    assert LeadState.loads(valkey.state or b"") == state


def test_a_reloaded_lead_goes_on_writing_only_its_newest_steps() -> None:
    state, valkey = LeadState(lead_id="ld_1", created=0.0), _Valkey()
    for n in range(100):
        _add(state, n)
        valkey.save(state)
    state, writes = valkey.load(), valkey.past_writes
    _add(state, 100)
    valkey.save(state)
    assert valkey.past_writes == writes
    assert valkey.load() == state


def test_a_step_placed_among_the_older_ones_rewrites_them() -> None:
    state, valkey = LeadState(lead_id="ld_1", created=0.0), _Valkey()
    for n in range(100):
        _add(state, n)
        valkey.save(state)
    writes = valkey.past_writes
    _add(state, 1000, t=10.5)  # an event that came late
    valkey.save(state)
    assert valkey.past_writes == writes + 1
    assert valkey.load() == state and "e1000" in _ids(valkey.load())


def test_steps_replaced_by_fewer_drop_the_older_ones() -> None:
    state, valkey = LeadState(lead_id="ld_1", created=0.0), _Valkey()
    for n in range(100):
        _add(state, n)
        valkey.save(state)
    state.steps = state.steps[-5:]
    valkey.save(state)
    assert valkey.past is None
    assert valkey.load() == state


def test_a_state_stored_whole_reads_whole_and_splits_at_its_next_save() -> None:
    state = LeadState(lead_id="ld_1", created=0.0)
    for n in range(100):
        _add(state, n)
    valkey = _Valkey()
    valkey.state = state.stored()  # as earlier versions wrote it, every step in the state
    loaded = valkey.load()
    assert loaded == state
    _add(loaded, 100)
    valkey.save(loaded)
    assert valkey.past is not None
    assert valkey.load() == loaded
