"""A lead's state as Valkey keeps it: compressed against a dictionary that never changes, and
every state stored before (plain JSON) still reads."""

from __future__ import annotations

import hashlib

from scorer.core.state import LeadState, ModelState
from scorer.core.state_codec import DICTIONARY_V1, V1, pack, unpack


def _lead() -> LeadState:
    state = LeadState(lead_id="ld_7", created=1.8e9, stage="mql", email="kay@initech.example")
    state.models["default"] = ModelState(anchor=1.8e9, engagement={"page_view": [3.0, 1.8e9]})
    state.steps = [[1.8e9 + n, f"{n:032x}", "pe", {"default": 1.0}] for n in range(20)]
    return state


def test_a_stored_state_is_compressed_and_reads_back_equal() -> None:
    state = _lead()
    stored = state.stored()
    assert stored[:1] == V1
    assert len(stored) < len(state.dumps()) / 2
    assert LeadState.loads(stored) == state
    assert unpack(pack(state.dumps())) == state.dumps()


def test_a_state_stored_as_plain_json_still_reads() -> None:
    state = _lead()
    assert LeadState.loads(state.dumps()) == state
    assert LeadState.loads(state.dumps().decode()) == state


def test_the_v1_dictionary_never_changes() -> None:
    """Every v1 value in every Valkey decompresses with exactly these bytes: a new dictionary
    needs a new version byte, and this one stays."""
    digest = hashlib.sha256(DICTIONARY_V1).hexdigest()
    assert digest == "5e7d0390ea8a4e3bad296f4551c3a5beccdf60dbda7fba3a23dce982802164f9"
