"""A lead's examples on the outcomes topic, kept equal to what its state says they are.

What a lead's examples are is a function of its state (`wanted`): each decision in its
stage history (`decisions.decisions_of`) ended by the CRM outcome entry after it, or by its
horizon (`state.horizon_closed`); each snapshot from the lead's steps up to the decision
(`features.features_of`). The stage history is the walk of the lead's steps in event-time
order, so a merge or a late event that walks it again may move a decision or change what
was known at it. `sync` therefore compares what the lead should have published with what it
has (`state.examples`: id, digest, model) and queues the difference with the state's own
effects: a new or changed example, and a retraction of one it no longer makes (an id
merged away with its lead, a decision the walk moved). Each message carries the lead's next
revision (`state.example_rev`, carried over by a merge), and the trainer keeps the newest
revision of each id (`examples.canonical`). So the examples the trainer keeps depend on the
leads' final steps alone, not on when a merge arrived: live and `rescore` agree.

Called where the examples can change: a CRM outcome's stage move, a re-walk (`restage`),
and a horizon passing (`horizon`). A published example older than the lead's first kept
step or stage entry is left as it is: the state no longer holds what it was made of.
"""

from __future__ import annotations

import hashlib

import msgspec

from scorer.core.config import Rules
from scorer.core.conversion.decisions import (
    NO_OUTCOME,
    OUTCOMES_TOPIC,
    Decided,
    deadline_of,
    decisions_of,
    member_of,
    outcome_of,
    unwatch,
)
from scorer.core.conversion.examples import POSITIVE, Example, Snapshot, encode_example
from scorer.core.conversion.features import features_of, score_at
from scorer.core.conversion.segments import model_for
from scorer.core.effects import EffectLog, Outbound, Publish
from scorer.core.state import LeadState

__all__ = ["example_of", "sync", "wanted"]


def example_of(
    state: LeadState, rules: Rules, decided: Decided, outcome: str, t: float
) -> Example | None:
    """The decision's example for `outcome` at `t`; None when no model learns from the lead.

    An outcome later than the horizon, or one for a decision the horizon closed first, gives
    the horizon's example, dated at the deadline: the same bytes whichever came first."""
    at, stage = decided
    model = model_for(state, rules)
    if model is None:
        return None
    deadline = deadline_of(at, rules)
    if outcome == NO_OUTCOME or t > deadline or at in state.horizon_closed:
        outcome, t = NO_OUTCOME, deadline
    return Example(
        example_id=f"{state.lead_id}|{at:.3f}",
        lead_id=state.lead_id,
        model=model,
        snapshot=Snapshot(
            at=at,
            stage=stage,
            features=features_of(state, rules, at),
            score=score_at(state, rules, at),
        ),
        outcome=outcome,
        outcome_at=t,
        label=int(outcome in POSITIVE),
    )


def wanted(state: LeadState, rules: Rules) -> list[Example]:
    """The examples the lead's state makes: every decision an outcome or its horizon ended."""
    found: list[Example] = []
    for decided, ended in decisions_of(state, rules.predict.decision_stages):
        if ended is not None:
            outcome = outcome_of(ended)
            assert outcome is not None
            example = example_of(state, rules, decided, outcome, float(ended.at))
        elif decided[0] in state.horizon_closed:
            example = example_of(state, rules, decided, NO_OUTCOME, 0.0)
        else:
            continue
        if example is not None:
            found.append(example)
    return found


def _digest(example: Example) -> str:
    return hashlib.blake2b(encode_example(example), digest_size=8).hexdigest()


def _at(example_id: str) -> float:
    return float(example_id.rsplit("|", 1)[1])


def _kept_from(state: LeadState) -> float:
    """The earliest decision time the state still holds everything of."""
    starts = [float(state.steps[0][0])] if state.steps else []
    if state.history:
        starts.append(float(state.history[0][1]))
    return max(starts, default=float("-inf"))


def _queue(log: EffectLog, state: LeadState, example: Example) -> None:
    state.example_rev += 1
    sent = msgspec.structs.replace(example, rev=state.example_rev)
    message = Outbound(f"ex:{sent.example_id}", OUTCOMES_TOPIC, state.lead_id, encode_example(sent))
    log.add(Publish(message))


def _retraction(example_id: str, model: str) -> Example:
    at = _at(example_id)
    return Example(
        example_id=example_id,
        lead_id=example_id.rsplit("|", 1)[0],
        model=model,
        snapshot=Snapshot(at=at, stage="", features=[], score=0.0),
        outcome="retracted",
        outcome_at=at,
        label=0,
        retracted=True,
    )


def sync(log: EffectLog, state: LeadState, rules: Rules) -> None:
    """Publish what changed in the lead's examples since it last published them."""
    floor = _kept_from(state)
    held = {str(e[0]): (str(e[1]), str(e[2])) for e in state.examples}
    now: dict[str, tuple[str, str]] = {k: v for k, v in held.items() if _at(k) < floor}
    for example in wanted(state, rules):
        if example.snapshot.at < floor:
            continue
        digest = _digest(example)
        now[example.example_id] = (digest, example.model)
        if held.get(example.example_id, ("", ""))[0] != digest:
            _queue(log, state, example)
            unwatch(log, member_of(state.lead_id, example.snapshot.at))
    for example_id, (_, model) in sorted(held.items()):
        if example_id not in now:
            _queue(log, state, _retraction(example_id, model))
    state.examples = [[k, d, m] for k, (d, m) in sorted(now.items())]
