"""The leads list's index: per partition, sorted sets the list reads a page from.

Each lead is listed in three sorted sets:
- by score (`PartitionKeys.listing_score`), one set per stage, fit and half-life: fit does
  not decay, so within a set the score order is the engagement order, kept as a
  time-invariant key. Leads decaying with one half-life keep their engagement order at
  any time `t`: the order of `log2(v) + anchor / hl` (hl in seconds) for a positive value
  `v` at `anchor`; negative values mirror that below zero, zero is 0. `engagement_at`
  turns a key back into the engagement at `t`. Fits are sums of a few rules' points, so a
  stage has a handful of fit values; the half-life is the primary model's (a config
  change starts new sets, and each lead moves on its next write).
- by last seen / created (`PartitionKeys.listing`), one set per stage, in whole
  microseconds, the precision the list shows: equal shown times tie on the lead id, as
  the full scan's order does.
`listing_sizes` counts the leads of each engagement set per consideration stage: a reader
learns in one read which sets exist, how large they are, and a consideration's total.

The lead's state remembers where it is listed (`LeadState.listed`): a change of stage or
fit moves its entries in the same atomic apply.lua call that writes the lead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from scorer.core.decay import DAY
from scorer.core.state import LeadState
from scorer.storage.keys import PartitionKeys
from scorer.storage.writes import WriteSet

__all__ = [
    "engagement_at",
    "engagement_key",
    "key_margin",
    "key_of",
    "list_lead",
    "micros",
    "parse_slot",
    "slot",
    "unlist_lead",
]

# log2 of the smallest positive double is -1074: keys of positive values stay above 0.
_OFFSET = 1100.0


def micros(t: float) -> int:
    """`t` in whole microseconds, rounded as `datetime.fromtimestamp` rounds it.

    (CPython splits whole seconds off and rounds the fraction half to even.)
    """
    fraction, whole = math.modf(t)
    return int(whole) * 1_000_000 + round(fraction * 1e6)


def engagement_key(value: float, anchor: float, half_life_days: float) -> float:
    """The index key of `value` held at `anchor`: same order as the decayed values."""
    if value == 0:
        return 0.0
    magnitude = _OFFSET + math.log2(abs(value)) + anchor / (half_life_days * DAY)
    return magnitude if value > 0 else -magnitude


def key_of(value: float, t: float, half_life_days: float) -> float:
    """The key a lead whose engagement at `t` is `value` has (inverse of `engagement_at`)."""
    return engagement_key(value, t, half_life_days)


def engagement_at(key: float, t: float, half_life_days: float) -> float:
    """The engagement at `t` of a lead with this key (inf past what a float holds)."""
    if key == 0:
        return 0.0
    exponent = abs(key) - _OFFSET - t / (half_life_days * DAY)
    try:
        magnitude = float(2.0**exponent)
    except OverflowError:
        magnitude = math.inf
    return magnitude if key > 0 else -magnitude


def key_margin(key: float) -> float:
    """A bound on the rounding error of a key against the exact decayed value.

    Generous: keys are used only to bound which leads to look at, then each is computed
    exactly from its summary.
    """
    return 1e-6 + 1e-13 * abs(key)


def slot(stage: str, consideration: str | None, fit: float, half_life_days: float) -> str:
    """A lead's place in the index, a field of `listing_sizes`.

    Its engagement set is (stage, fit, half-life); consideration only splits the count,
    so a consideration filter knows its total without reading a summary.
    """
    return f"{stage}|{consideration or ''}|{fit!r}|{half_life_days!r}"


def parse_slot(field: str) -> tuple[str, str | None, float, float]:
    stage, consideration, fit, half_life = field.rsplit("|", 3)
    return stage, consideration or None, float(fit), float(half_life)


def list_lead(
    ws: WriteSet, pk: PartitionKeys, state: LeadState, summary: Mapping[str, Any]
) -> None:
    """List (or re-list) the lead under its stage and fit, leaving the place it was in.

    `LeadState.listed` is "<slot>|<created in us>": the created time rarely changes (a
    merge can move it back), so it is rewritten only when it or the stage does.
    """
    lead_id, stage, fit = state.lead_id, state.stage, float(summary["fit"])
    value, anchor, half_life = summary["e"]
    here = slot(stage, summary["consideration"], fit, half_life)
    created = micros(summary["created"])
    was, _, was_created = (state.listed or "").rpartition("|")
    moved = not was
    if was != here:
        if was:
            old_stage, _, old_fit, old_half_life = parse_slot(was)
            moved = old_stage != stage
            if (old_stage, old_fit, old_half_life) != (stage, fit, half_life):
                ws.zrem(pk.listing_score(old_stage, old_fit, old_half_life), lead_id)
            if moved:
                ws.zrem(pk.listing(old_stage, "r"), lead_id)
                ws.zrem(pk.listing(old_stage, "c"), lead_id)
            ws.hincr(pk.listing_sizes, was, -1)
        ws.hincr(pk.listing_sizes, here, 1)
    key = engagement_key(value, anchor, half_life)
    ws.zadd(pk.listing_score(stage, fit, half_life), key, lead_id)
    ws.zadd(pk.listing(stage, "r"), micros(summary["last_seen"]), lead_id)
    if moved or was_created != str(created):
        ws.zadd(pk.listing(stage, "c"), created, lead_id)
    state.listed = f"{here}|{created}"


def unlist_lead(ws: WriteSet, pk: PartitionKeys, state: LeadState) -> None:
    """The lead leaves this partition (merged away, forgotten): drop its index entries."""
    if state.listed is not None:
        was = state.listed.rpartition("|")[0]
        stage, _, fit, half_life = parse_slot(was)
        ws.zrem(pk.listing_score(stage, fit, half_life), state.lead_id)
        ws.zrem(pk.listing(stage, "r"), state.lead_id)
        ws.zrem(pk.listing(stage, "c"), state.lead_id)
        ws.hincr(pk.listing_sizes, was, -1)
    state.listed = None
