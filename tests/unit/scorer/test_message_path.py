"""One message's path through the scorer's sub-packages: decided whole, then written once.

`dispatch.decide` reads the view and writes nothing; the handlers call into the core once
for each decision (the time the message passes, the message itself, the run's end), and
`apply_effects` (storage) is entered once per message and once per run end. Once it is,
no handler runs again for that message: the path goes handlers (reading the view) -> core
(deciding) -> storage (writing), never back up.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import msgspec

from leadpulse.kernel.wire import Envelope
from scorer.core.effects import MoveOffset
from scorer.core.identity import claim_message
from scorer.handlers import dispatch
from scorer.runtime.consumer import decode_message
from scorer.storage.view import PartitionView
from scorer.storage.writes import WriteSet
from tests.unit.scorer.effects import RULES, view
from tests.unit.scorer.events import at, identify, page, track

SCORER = Path(dispatch.__file__).resolve().parents[1]
EMAIL = "ann@initech.example"
KEY = f"email:{EMAIL}"


@dataclass(frozen=True)
class Call:
    package: str  # the scorer's sub-package: handlers, core, storage, ...
    function: str
    caller_package: str


def _package(filename: str) -> str:
    path = Path(filename)
    if SCORER not in path.parents:
        return ""
    return path.relative_to(SCORER).parts[0].removesuffix(".py")


@contextmanager
def traced() -> Iterator[list[Call]]:
    """Every call into the scorer's own code while the block runs, in order."""
    calls: list[Call] = []

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event != "call":
            return
        package = _package(frame.f_code.co_filename)
        if package:
            caller = frame.f_back
            caller_package = _package(caller.f_code.co_filename) if caller else ""
            calls.append(Call(package, frame.f_code.co_name, caller_package))

    sys.setprofile(profile)
    try:
        yield calls
    finally:
        sys.setprofile(None)


def _known_lead() -> PartitionView:
    v = view()
    ws = WriteSet(v.pk)
    dispatch.apply_message(v, RULES, KEY, 0, identify(email=EMAIL, when=at(0)), ws)
    dispatch.end_run(ws, v, RULES)
    return v


def _claim() -> Envelope:
    """Another lead, found through a user id, claims Ann's email: Ann's lead is handed over."""
    claim = claim_message(KEY, "user:u-42", "ld_other", "lead", at(3).timestamp(), "ev_9")
    _, event = decode_message(claim.key.encode(), claim.value)
    assert event is not None
    return event


MESSAGES: dict[str, Callable[[], Envelope]] = {
    "page view": lambda: page("/pricing", email=EMAIL, when=at(2)),
    "demo request (an mql alert)": lambda: track("Demo Requested", email=EMAIL, when=at(2)),
    "claim (a control message)": _claim,
}


def _path(calls: list[Call]) -> list[str]:
    """The sub-packages in the order first entered from another one."""
    order: list[str] = []
    for call in calls:
        if call.package != call.caller_package and call.package not in order:
            order.append(call.package)
    return order


def _core_entries(calls: list[Call]) -> list[str]:
    return [c.function for c in calls if c.package == "core" and c.caller_package == "handlers"]


def test_deciding_writes_nothing() -> None:
    for name, build in MESSAGES.items():
        v = _known_lead()
        before = (set(v.seen), dict(v.identities), dict(v.forwards), set(v.dirty), v.watermark)
        decision = dispatch.decide(v, RULES, KEY, 1, build())
        after = (set(v.seen), dict(v.identities), dict(v.forwards), set(v.dirty), v.watermark)
        assert after == before, name
        assert not v.outbound, name
        assert decision.outcome == ("control" if "claim" in name else "applied"), name
        moved = [e for e in decision.effects.items if isinstance(e, MoveOffset)]
        assert [m.offset for m in moved] == [1], name


def test_a_message_is_decided_then_written_once() -> None:
    for name, build in MESSAGES.items():
        v = _known_lead()
        event = build()
        ws = WriteSet(v.pk)
        with traced() as calls:
            dispatch.apply_message(v, RULES, KEY, 1, event, ws)
        writes = [c for c in calls if c.function == "apply_effects"]
        assert len(writes) == 1, name
        first_write = calls.index(writes[0])
        deciding, writing = calls[:first_write], calls[first_write:]
        assert {c.package for c in deciding} <= {"handlers", "core"}, name
        assert not [c for c in writing if c.package == "handlers"], name
        # After the write starts, core is reached only from storage (the state's codec).
        assert {c.caller_package for c in writing if c.package == "core"} <= {"storage", "core"}
        assert _path(calls) == ["handlers", "core", "storage"], name
        # One call into the core per decision: the time passing, then the message.
        assert len(_core_entries(deciding)) == 2, name
        assert not [c for c in calls if c.package == "handlers" and c.caller_package == "core"]
        assert ws.offset == 1, name


def test_a_run_end_is_decided_then_written_once() -> None:
    v = _known_lead()
    ws = WriteSet(v.pk)
    dispatch.apply_message(v, RULES, KEY, 1, MESSAGES["page view"](), ws)
    with traced() as calls:
        dispatch.end_run(ws, v, RULES)
    writes = [c for c in calls if c.function == "apply_effects"]
    assert len(writes) == 1
    writing = calls[calls.index(writes[0]) :]
    assert not [c for c in writing if c.package == "handlers"]
    assert _core_entries(calls[: calls.index(writes[0])]) == ["run_end"]
    keys, _ = ws.ops()
    assert v.pk.lead(v.identities[KEY]) in keys  # the page view's lead is saved


def test_a_merge_with_nothing_to_merge_is_applied_as_a_no_op() -> None:
    """A snapshot with neither the stored state nor the lead as JSON is refused at decode:
    the message moves the offset and changes no lead, rather than failing its batch."""
    v = _known_lead()
    claim = _claim()
    merge = msgspec.structs.replace(
        claim, type="merge", control={"survivor": KEY, "snapshot": {"timeline": []}}
    )
    ann = v.leads[v.identities[KEY]]
    assert ann is not None
    before = ann.dumps()
    decision = dispatch.decide(v, RULES, KEY, 1, merge)
    assert decision.outcome == "control"
    assert [type(e) for e in decision.effects.items] == [MoveOffset]
    ws = WriteSet(v.pk)
    dispatch.apply_message(v, RULES, KEY, 1, merge, ws)
    assert ws.offset == 1 and ann.dumps() == before
