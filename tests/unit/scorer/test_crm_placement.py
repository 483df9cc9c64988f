"""Where the walk takes a CRM outcome: a function of the lead's steps alone."""

from __future__ import annotations

import random

from scorer.core.stage_walk import Placed, opens_known, place
from scorer.core.steps import Step


def _step(t: float, flags: str, outcome: str | None = None) -> Step:
    extra = [outcome, None] if outcome else None
    return Step(t, f"e{t:g}", flags, {}, None, None, None, extra)


def _where(placed: list[Placed]) -> list[tuple[str, float, float | None]]:
    return [(p.step.event_id, p.at, p.reported) for p in placed]


def test_an_outcome_dated_before_the_first_known_step_takes_effect_right_after_it() -> None:
    steps = [_step(1, "ic", "won"), _step(2, "p"), _step(5, "ip"), _step(9, "ip")]
    assert _where(place(steps)) == [
        ("e2", 2, None),
        ("e5", 5, None),
        ("e1", 5, 1),
        ("e9", 9, None),
    ]


def test_an_outcome_dated_after_the_first_known_step_keeps_its_date_and_place() -> None:
    steps = [_step(2, "p"), _step(5, "ip"), _step(7, "ic", "lost"), _step(9, "ip")]
    assert _where(place(steps)) == [(s.event_id, s.t, None) for s in steps]


def test_a_lead_with_outcomes_only_takes_them_at_their_dates() -> None:
    steps = [_step(1, "ic", "accepted"), _step(3, "ic", "lost")]
    assert _where(place(steps)) == [("e1", 1, None), ("e3", 3, None)]


def test_the_first_known_step_after_outcomes_only_walks_the_lead_again() -> None:
    crm_only = [_step(1, "ic", "accepted").raw()]
    assert opens_known([*crm_only, _step(4, "ip").raw()])
    assert not opens_known([*crm_only, _step(4, "ip").raw(), _step(6, "ip").raw()])
    assert not opens_known([_step(4, "ip").raw()])
    assert not opens_known([*crm_only, _step(3, "ic", "lost").raw()])


def test_the_walk_again_is_decided_the_same_for_any_flags() -> None:
    """`opens_known` (which reads from the newest step back) against its definition read
    from the oldest step on: the newest step is the lead's first own step naming a person,
    and a CRM outcome comes before it."""
    rng = random.Random(11)
    for _ in range(3000):
        flags = [rng.choice(["", "p", "kp", "ip", "k", "ic", "c", "kc", "pe"]) for _ in range(6)]
        flags = flags[: rng.randint(0, 6)]
        own_naming = ["c" not in f and ("k" in f or "i" in f) for f in flags]
        expected = (
            bool(flags)
            and own_naming[-1]
            and not any(own_naming[:-1])
            and any("c" in f for f in flags[:-1])
        )
        steps = [_step(n, f).raw() for n, f in enumerate(flags)]
        assert opens_known(steps) == expected, flags
