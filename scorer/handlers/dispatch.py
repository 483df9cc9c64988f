"""Apply one Kafka message to its partition's view: the single entry point of the logic.

A message is decided first, then written. `decide` reads the view and returns the
message's whole `Decision`: the time it passes (decisions whose horizon it passed), what its
handler decides, and the move of the stored offset. Then one `apply_effects` records the
effects in the run's WriteSet, which `lua/apply.lua` executes atomically with the
partition's offset and dedupe set, and in the view, which the batch's later messages read.
`end_run` (after a run: the watermark, the leads it changed) is decided and applied the same
way. Every message moves the stored offset on; a duplicate event id, a suppressed identity
or an unreadable message writes nothing else. An event forwarded to a merged identity's
survivor is remembered as seen where its copy is applied, not here. A scorer's own message
(`leadpulse.kernel.messages`) goes to the handler of its kind (`HANDLERS`); any other event
is a behavior or CRM event, for `event.on_event`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import structlog

from leadpulse.kernel.messages import (
    MESSAGE_TYPES,
    AccountInfo,
    AccountLost,
    AccountTouch,
    AccountVisit,
    Claim,
    Forget,
    Merge,
    Message,
    Stale,
    decode,
)
from leadpulse.kernel.wire import Envelope
from scorer.core.config import Rules
from scorer.core.effects import Effects, MoveOffset
from scorer.core.horizon import pass_time
from scorer.core.save import run_end
from scorer.core.stale import apply_stale
from scorer.handlers.account_info import on_account_info
from scorer.handlers.account_returns import on_account_lost, on_account_visit
from scorer.handlers.account_touch import on_account_touch
from scorer.handlers.claim import on_claim
from scorer.handlers.event import on_event
from scorer.handlers.forget import on_forget
from scorer.handlers.merge import apply_merge
from scorer.storage.effects import apply_effects
from scorer.storage.view import PartitionReads, PartitionView
from scorer.storage.writes import WriteSet

__all__ = ["HANDLERS", "Decision", "Outcome", "apply_message", "decide", "end_run"]

log = structlog.get_logger(__name__)

# applied | duplicate | suppressed | forwarded | looped | control | unreadable; the batch adds
# skipped and parked (dead-lettered, see `batch`).
Outcome = str

# (view, rules, key, event, message) -> what the message does; the message is of the kind
# the handler is listed under, so each handler takes its own record type.
Handler = Callable[[PartitionReads, Rules, str, Envelope, Any], Effects]

HANDLERS: dict[type[Message], Handler] = {
    Claim: lambda view, rules, key, event, m: on_claim(view, event, m),
    Merge: lambda view, rules, key, event, m: apply_merge(view, event, m, rules),
    Forget: lambda view, rules, key, event, m: on_forget(view, event, m, key),
    AccountTouch: lambda view, rules, key, event, m: on_account_touch(view, event, m, rules),
    AccountInfo: lambda view, rules, key, event, m: on_account_info(m),
    AccountLost: lambda view, rules, key, event, m: on_account_lost(view, m),
    AccountVisit: lambda view, rules, key, event, m: on_account_visit(view, event, m, rules),
    Stale: lambda view, rules, key, event, m: apply_stale(
        view.leads.get(m.lead_id), event, m, rules
    ),
}


class Decision(NamedTuple):
    """What one message does: how it ended, and its effects in the order decided."""

    outcome: Outcome
    effects: Effects


def decide(
    view: PartitionReads,
    rules: Rules,
    key: str,
    offset: int,
    event: Envelope | None,
) -> Decision:
    """One message's whole decision: the time it passes closes the decisions whose horizon
    it passed (`core.horizon.pass_time`), then the message itself. Writes nothing, neither the
    view nor a WriteSet; the leads it changes are its values (`KeepLead` has them saved)."""
    passed = pass_time(view, rules, event).items
    if event is None:
        return Decision("unreadable", Effects((*passed, MoveOffset(offset, None))))
    if event.event_id in view.seen:
        return Decision("duplicate", Effects((*passed, MoveOffset(offset, None))))
    if event.type not in MESSAGE_TYPES:
        outcome, effects = on_event(view, rules, key, event, offset)
        # A forwarded event is seen where its copy is applied, which may be this partition.
        forwarded = outcome in ("forwarded", "looped")
        moved = MoveOffset(offset, event.event_id, not forwarded)
        return Decision(outcome, Effects((*passed, *effects.items, moved)))
    moved = MoveOffset(offset, event.event_id)
    try:
        message = decode(event)
    except ValueError as exc:
        # Applied as a no-op, as a message missing what its handler needs always was.
        log.warning("message_unreadable", event_type=event.type, error=str(exc))
        return Decision("control", Effects((*passed, moved)))
    handled = HANDLERS[type(message)](view, rules, key, event, message)
    return Decision("control", Effects((*passed, moved, *handled.items)))


def apply_message(
    view: PartitionView,
    rules: Rules,
    key: str,
    offset: int,
    event: Envelope | None,
    ws: WriteSet | None = None,
) -> tuple[WriteSet, Outcome]:
    """Decide one message, then write its effects into `ws` (the run's WriteSet; a new one
    when None) and the view, in one `apply_effects`."""
    ws = ws if ws is not None else WriteSet(view.pk)
    decision = decide(view, rules, key, offset, event)
    apply_effects(decision.effects, view, ws)
    return ws, decision.outcome


def end_run(ws: WriteSet, view: PartitionView, rules: Rules) -> None:
    """After a run's messages: its watermark, and every lead it changed, saved once."""
    apply_effects(run_end(view.watermark, view.dirty.values(), rules), view, ws)
