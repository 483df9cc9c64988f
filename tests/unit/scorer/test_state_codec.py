"""A lead's state as Valkey keeps it: compressed against a dictionary that never changes, and
every state stored before (v1, plain JSON) still reads."""

from __future__ import annotations

import hashlib

import zstandard

from scorer.core.state import LeadState, ModelState
from scorer.core.state_codec import DICTIONARY_V1, DICTIONARY_V2, V1, V2, pack, unpack


def _lead() -> LeadState:
    state = LeadState(lead_id="ld_7", created=1.8e9, stage="mql", email="kay@initech.example")
    state.models["default"] = ModelState(anchor=1.8e9, engagement={"page_view": [3.0, 1.8e9]})
    state.steps = [[1.8e9 + n, f"{n:032x}", "pe", {"default": 1.0}] for n in range(20)]
    return state


def _stored_as_v1(state: LeadState) -> bytes:
    """As the versions that wrote v1 stored a state: level 1, the raw-content dictionary."""
    dictionary = zstandard.ZstdCompressionDict(
        DICTIONARY_V1, dict_type=zstandard.DICT_TYPE_RAWCONTENT
    )
    compressor = zstandard.ZstdCompressor(
        level=1, dict_data=dictionary, write_checksum=False, write_dict_id=False
    )
    return V1 + compressor.compress(state.dumps())


def test_a_stored_state_is_compressed_and_reads_back_equal() -> None:
    state = _lead()
    stored = state.stored()
    assert stored[:1] == V2
    assert len(stored) < len(state.dumps()) / 2
    assert LeadState.loads(stored) == state
    assert unpack(pack(state.dumps())) == state.dumps()


def test_a_state_stored_as_v1_still_reads() -> None:
    state = _lead()
    stored = _stored_as_v1(state)
    assert LeadState.loads(stored) == state
    assert len(state.stored()) < len(stored)


def test_a_state_stored_as_plain_json_still_reads() -> None:
    state = _lead()
    assert LeadState.loads(state.dumps()) == state
    assert LeadState.loads(state.dumps().decode()) == state


def test_the_dictionaries_never_change() -> None:
    """Every value in every Valkey decompresses with exactly the bytes of its version's
    dictionary: a new dictionary needs a new version byte, and these stay."""
    v1 = hashlib.sha256(DICTIONARY_V1).hexdigest()
    assert v1 == "5e7d0390ea8a4e3bad296f4551c3a5beccdf60dbda7fba3a23dce982802164f9"
    v2 = hashlib.sha256(DICTIONARY_V2).hexdigest()
    assert v2 == "6e350f1864d7498ae2059c547a3169d8dff00e73c788c05e3cb591bdd1b90530"
