"""The lifecycle stage machine of DESIGN.md, as a pure function of a stage and signals.

Decisions written down here:
- CRM outcomes are authoritative and may jump stages in any order; `lost`/`not_now` recycle a
  lead (nurture paused for `pause_days`) except a `dead_end`, which is never recycled.
- Marketing signals only move a lead forward through visitor < lead < nurturing < mql; they
  never move a lead that sales holds (sal, sql, opportunity, customer) or a dead end.
- An anonymous visitor stays `visitor` whatever it does; its history counts once it
  identifies (merged into the lead), and one event may then move it several steps (each
  step counts in the funnel), e.g. visitor -> lead -> mql on a demo request with an email.
- A recycled lead is paused until `nurture_paused_until`; engagement after that returns it to
  `nurturing`. A fast-pass action (demo, quote...) goes straight to `mql` even while paused:
  a buyer raising a hand is never held back.
- Disqualifying traits (student, competitor...) send a marketing-stage lead to `dead_end`.
"""

from __future__ import annotations

from typing import NamedTuple

from leadpulse.kernel.domain import CrmOutcome, Stage

__all__ = ["CRM_STAGE", "MARKETING_RANK", "SALES_STAGES", "Signals", "transitions"]

CRM_STAGE: dict[str, Stage] = {outcome: outcome.stage for outcome in CrmOutcome}
MARKETING_RANK: dict[str, int] = {s: s.rank for s in Stage if s.phase == "marketing"}
SALES_STAGES = frozenset(s for s in Stage if s.phase == "sales")


class Signals(NamedTuple):
    """What one event tells the stage machine (a NamedTuple: one is built per event)."""

    t: float
    identified: bool = False
    engaging: bool = False
    nurturing: bool = False
    fast_pass: bool = False
    over_threshold: bool = False
    crm_outcome: str | None = None
    disqualified: str | None = None
    paused_until: float | None = None


def _crm(stage: str, outcome: str) -> list[tuple[str, str]]:
    target = CRM_STAGE[outcome]
    if stage == Stage.DEAD_END and target == Stage.RECYCLE:
        return []
    if target == stage and target != Stage.RECYCLE:
        return []
    return [(target, f"crm:{outcome}")]


def transitions(stage: str, sig: Signals) -> list[tuple[str, str]]:
    """The stage moves this event causes, in order, each as (new stage, reason)."""
    # Plain strings out: a stage goes into state, JSON and keys, where orjson takes a
    # dict key only if it is exactly a str.
    return [(str(to), reason) for to, reason in _moves(stage, sig)]


def _moves(stage: str, sig: Signals) -> list[tuple[str, str]]:
    if sig.crm_outcome is not None:
        return _crm(stage, sig.crm_outcome)
    if sig.disqualified is not None and stage not in SALES_STAGES and stage != Stage.DEAD_END:
        return [(Stage.DEAD_END, f"disqualified:{sig.disqualified}")]
    if stage == Stage.DEAD_END or stage in SALES_STAGES:
        return []
    moves: list[tuple[str, str]] = []
    current = stage
    if current == Stage.RECYCLE:
        paused = sig.paused_until is not None and sig.t < sig.paused_until
        if sig.fast_pass and sig.identified:
            return [(Stage.MQL, "fast_pass")]
        if paused or not sig.engaging:
            return []
        moves.append((Stage.NURTURING, "re_engaged"))
        current = Stage.NURTURING
    if not sig.identified:
        return moves
    if current == Stage.VISITOR:
        moves.append((Stage.LEAD, "identified"))
        current = Stage.LEAD
    rank = MARKETING_RANK[current]
    if sig.fast_pass and rank < Stage.MQL.rank:
        moves.append((Stage.MQL, "fast_pass"))
    elif sig.over_threshold and rank < Stage.MQL.rank:
        moves.append((Stage.MQL, "score_threshold"))
    elif sig.nurturing and rank < Stage.NURTURING.rank:
        moves.append((Stage.NURTURING, "engaged"))
    return moves
