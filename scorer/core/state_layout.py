"""How a lead's state is laid out in Valkey: the state with its newest steps under the lead's
key, its older steps apart under `lp:{pN}:past:<id>`, each compressed (`state_codec`).

A lead keeps its last STEPS_KEPT steps and every event adds one. Stored whole, a long-lived
lead's state was encoded, compressed and sent with all its steps at every event, though
only the newest had changed. So once a lead holds more than TAIL_MAX steps, the older ones
are written apart, and written again only when they change: when more than TAIL_MAX steps
have gathered beside the state (the older ones then take all but the newest TAIL_MIN), or
when a step was placed among them (an event that came late, a merge). A lead with up to TAIL_MAX
steps keeps them all in its state, as before.

Which older steps Valkey holds is remembered on the state itself (`_past`, outside its
fields): the list read or written last. A save compares the state's steps with it by
identity, so whatever changed the steps (an append, a trim at the front, an insert, a
merge), the older steps are rewritten unless they are exactly what Valkey holds. This
relies on a stored step never being edited in place: steps are added, dropped or replaced
(`steps.insert_step`, `merge`), never changed.

Read back, the steps are the older ones followed by the state's, the newest STEPS_KEPT of
them: the older steps in Valkey may still hold those a full lead has since let go of.
"""

from __future__ import annotations

import operator
from itertools import islice
from typing import Any

import msgspec
import orjson

from scorer.core.state import LeadState
from scorer.core.state_codec import pack, unpack
from scorer.core.steps import STEPS_KEPT

__all__ = ["TAIL_MAX", "TAIL_MIN", "StoredLead", "load_lead", "store_lead"]

TAIL_MAX = 40
TAIL_MIN = 8
_PAST = "_past"  # the older steps as Valkey holds them, kept on the state object


class StoredLead(msgspec.Struct, frozen=True):
    """What a save writes: the state with its newest steps; its older steps when they
    changed (None: Valkey holds them already); `drop_past`: none are kept apart any more.
    A Struct: one is made per save, and a NamedTuple is built in Python."""

    state: bytes
    past: bytes | None = None
    drop_past: bool = False


def _held(steps: list[list[Any]], past: list[list[Any]]) -> int | None:
    """How many leading `steps` are the older steps Valkey holds (`past`, less those a full
    lead let go of at its front), unchanged; None when the steps no longer start so."""
    if not steps:
        return None
    try:
        dropped = past.index(steps[0])
    except ValueError:
        return None
    if dropped and len(steps) != STEPS_KEPT:
        return None  # only a full lead lets steps go at its front
    held = len(past) - dropped
    if held > len(steps):
        return None
    same = map(operator.is_, islice(steps, held), islice(past, dropped, None))
    return held if all(same) else None


def store_lead(state: LeadState) -> StoredLead:
    """The lead's state as Valkey keeps it, its older steps written only when they changed."""
    past: list[list[Any]] | None = state.__dict__.get(_PAST)
    steps = state.steps
    if not past and len(steps) <= TAIL_MAX:
        return StoredLead(state.stored())  # a lead with few steps, stored as it always was
    held = _held(steps, past) if past else 0
    if held is not None and len(steps) - held <= TAIL_MAX:
        return StoredLead(_packed(state, steps[held:]))
    if len(steps) <= TAIL_MAX:
        state.__dict__[_PAST] = []
        return StoredLead(state.stored(), drop_past=True)
    cut = len(steps) - TAIL_MIN
    state.__dict__[_PAST] = steps[:cut]
    return StoredLead(_packed(state, steps[cut:]), pack(orjson.dumps(steps[:cut])))


def _packed(state: LeadState, newest: list[list[Any]]) -> bytes:
    steps = state.steps
    state.steps = newest  # the encoder reads the struct: no copy of every other field
    try:
        return state.stored()
    finally:
        state.steps = steps


def load_lead(stored: bytes | str, past: bytes | str | None) -> LeadState:
    """A lead from its key and its older steps' key (None when it has none apart)."""
    state = LeadState.loads(stored)
    if past is not None:
        older: list[list[Any]] = orjson.loads(unpack(past))
        state.steps = (older + state.steps)[-STEPS_KEPT:]
        state.__dict__[_PAST] = older
    return state
