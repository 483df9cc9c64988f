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

__all__ = ["CRM_STAGE", "MARKETING_RANK", "SALES_STAGES", "Signals", "transitions"]

CRM_STAGE = {
    "accepted": "sal",
    "qualified": "sql",
    "opportunity": "opportunity",
    "won": "customer",
    "lost": "recycle",
    "not_now": "recycle",
    "disqualified": "dead_end",
}
MARKETING_RANK = {"visitor": 0, "lead": 1, "nurturing": 2, "mql": 3}
SALES_STAGES = frozenset({"sal", "sql", "opportunity", "customer"})


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
    if stage == "dead_end" and target == "recycle":
        return []
    if target == stage and target != "recycle":
        return []
    return [(target, f"crm:{outcome}")]


def transitions(stage: str, sig: Signals) -> list[tuple[str, str]]:
    """The stage moves this event causes, in order, each as (new stage, reason)."""
    if sig.crm_outcome is not None:
        return _crm(stage, sig.crm_outcome)
    if sig.disqualified is not None and stage not in SALES_STAGES and stage != "dead_end":
        return [("dead_end", f"disqualified:{sig.disqualified}")]
    if stage == "dead_end" or stage in SALES_STAGES:
        return []
    moves: list[tuple[str, str]] = []
    current = stage
    if current == "recycle":
        paused = sig.paused_until is not None and sig.t < sig.paused_until
        if sig.fast_pass and sig.identified:
            return [("mql", "fast_pass")]
        if paused or not sig.engaging:
            return []
        moves.append(("nurturing", "re_engaged"))
        current = "nurturing"
    if not sig.identified:
        return moves
    if current == "visitor":
        moves.append(("lead", "identified"))
        current = "lead"
    rank = MARKETING_RANK[current]
    if sig.fast_pass and rank < MARKETING_RANK["mql"]:
        moves.append(("mql", "fast_pass"))
    elif sig.over_threshold and rank < MARKETING_RANK["mql"]:
        moves.append(("mql", "score_threshold"))
    elif sig.nurturing and rank < MARKETING_RANK["nurturing"]:
        moves.append(("nurturing", "engaged"))
    return moves
