"""Horizon negatives: a decision with no outcome within the horizon, in event time.

Each partition keeps an event-time watermark (`pk.watermark`): the newest time of the
events from outside that its log has applied (`event_time`: the scorer's own control
messages do not count, and no event counts later than ingest received it). Before each
message is applied, the watermark takes that message's time, and every open decision whose
deadline (`decisions.deadline_of`) it has passed ends in its horizon's example, in the
same run as the message (one apply.lua call writes the example's outbox entry,
the lead's `horizon_closed`, the timer's removal and the watermark together). That depends
on the partition's log alone, never on the clock or on how the log was batched: replaying
the topic closes the same decisions at the same places. A quiet partition's watermark does
not move: its decisions wait for its next event.

Each batch reads the earliest timers of a partition with its watermark
(`scorer.storage.horizons`); the leads of those due in the batch are read with the others.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Protocol

from leadpulse.kernel.wire import Envelope
from scorer.core.config import Rules
from scorer.core.conversion.decisions import deadline_of, decision_at, unwatch, watch
from scorer.core.conversion.published import sync
from scorer.core.effects import EffectLog, Effects, KeepLead, MoveWatermark, StoreWatermark
from scorer.core.state import LeadState

__all__ = ["Horizons", "event_time", "pass_time", "store_watermark"]


class Horizons(Protocol):
    """What time passing reads of a partition's view (`storage.view.PartitionReads`)."""

    @property
    def watermark(self) -> float: ...
    @property
    def horizons(self) -> Mapping[str, float]: ...
    @property
    def horizon_next(self) -> float: ...
    @property
    def leads(self) -> Mapping[str, LeadState | None]: ...


def event_time(event: Envelope | None) -> float | None:
    """The time an event moves the watermark to; None for the scorer's own messages.

    Never later than when ingest received it: a client clock ahead (ingest takes up to
    `collect.max_clock_skew_days`) must not close decisions early; a backfill of past
    events moves it by their own times."""
    if event is None or event.source == "scorer":
        return None
    return min(event.timestamp, event.received_at).timestamp()


def pass_time(view: Horizons, rules: Rules, event: Envelope | None) -> Effects:
    """Move the watermark to `event`'s time (if later) and end every decision whose horizon
    it passed: also one a late event re-walked into the past, at the message after it."""
    t = event_time(event)
    mark = t if t is not None and t > view.watermark else view.watermark
    upcoming = view.horizon_next
    if upcoming < mark:
        # a lower bound, kept on every add: computed again only when it may have passed
        upcoming = min(view.horizons.values(), default=math.inf)
    log = EffectLog()
    if (mark, upcoming) != (view.watermark, view.horizon_next):
        log.add(MoveWatermark(mark, upcoming))
    if upcoming >= mark:
        return log.effects()  # the common case: no deadline passed
    for member, deadline in sorted(view.horizons.items(), key=lambda kv: (kv[1], kv[0])):
        if deadline >= mark:
            break
        _expire(log, view, rules, member, mark)
    return log.effects()


def store_watermark(watermark: float) -> Effects:
    """Once per run, after its messages: the watermark goes with the run's other writes."""
    return Effects((StoreWatermark(watermark),)) if watermark > -math.inf else Effects()


def _expire(log: EffectLog, view: Horizons, rules: Rules, member: str, mark: float) -> None:
    """The timer ran out: the lead's decision as it stands now (a merge or a late event may
    have moved it since) ends in its horizon's example, or waits for its own deadline."""
    lead_id, at = member.rsplit("|", 1)
    if lead_id not in view.leads:
        return  # not read in this batch (more were due than read): the next one will
    unwatch(log, member)
    state = view.leads[lead_id]
    if state is None:
        return  # merged away or forgotten
    decided = decision_at(state, rules.predict.decision_stages)
    if decided is None or decided[0] in state.horizon_closed:
        return  # an outcome came first, or this decision is closed already
    if decided[0] != float(at) and deadline_of(decided[0], rules) >= mark:
        watch(log, state, decided[0], rules)
        return
    state.horizon_closed = [*state.horizon_closed, decided[0]]
    sync(log, state, rules)
    log.add(KeepLead(state))
