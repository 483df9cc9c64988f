"""A CRM outcome's place in the stage history does not depend on when it, or the merge
bringing the lead's anonymous steps, reached the scorer."""

from __future__ import annotations

from collections.abc import Callable

from leadpulse.kernel.wire import Envelope
from scorer.core.state import LeadState
from tests.unit.scorer.events import at, crm, identify, page
from tests.unit.scorer.test_merge_stages import Pair

EMAIL = "order@globex.example"


def _both_ways(
    anon: list[Envelope], mail: list[Envelope], outcome: Envelope
) -> tuple[LeadState, LeadState, Pair, Pair]:
    """The outcome applied before the merge that brings the anonymous steps, and after."""
    states: list[LeadState] = []
    pairs: list[Pair] = []
    orders: list[list[Callable[[Pair], None]]] = [
        [lambda p: p.apply(p.mail, outcome), lambda p: p.merge_now()],
        [lambda p: p.merge_now(), lambda p: p.apply(p.mail, outcome)],
    ]
    for order in orders:
        pair = Pair()
        pair.apply(pair.anon, *anon)
        pair.apply(pair.mail, *mail)
        for deliver in order:
            deliver(pair)
        states.append(pair.lead(EMAIL))
        pairs.append(pair)
    return states[0], states[1], pairs[0], pairs[1]


def _funnel(pair: Pair) -> dict[str, int]:
    return {k: n for k, n in pair.funnel.items() if n}


def test_an_outcome_between_the_identify_and_later_anonymous_steps_keeps_its_date() -> None:
    """Identify at 1, the visitor's pages at 2..5 merged in, sales accepted at 4: the lead
    enters sal at 4 whether the outcome came before or after the merge."""
    anon = [page(anon="o1", when=at(m)) for m in (2, 3, 5)]
    accepted = crm("accepted", email=EMAIL, when=at(4))
    before, after, a, b = _both_ways(anon, [identify(anon="o1", email=EMAIL, when=at(1))], accepted)
    assert before.history == after.history
    assert _funnel(a) == _funnel(b)
    assert before.history[-1][0] == "sal" and before.history[-1][1] == at(4).timestamp()
    assert before.history[-1][7] is None


def test_an_outcome_dated_before_the_lead_takes_effect_at_its_identify() -> None:
    """Won dated 100 days before the visitor's first page: the lead was a visitor, then a
    lead, then a customer at its identify, the outcome's own date kept, both orders alike."""
    anon = [page(anon="o2", when=at(m)) for m in (0, 2)]
    won = crm("won", email=EMAIL, when=at(0, days=-100))
    mail = [identify(anon="o2", email=EMAIL, when=at(5)), page(email=EMAIL, when=at(9))]
    before, after, a, b = _both_ways(anon, mail, won)
    assert before.history == after.history
    assert _funnel(a) == _funnel(b)
    assert [(e[0], e[1], e[7]) for e in before.history] == [
        ("visitor", at(0).timestamp(), None),
        ("lead", at(5).timestamp(), None),
        ("customer", at(5).timestamp(), at(0, days=-100).timestamp()),
    ]


def test_a_lead_known_from_its_outcome_first_moves_to_its_first_own_step() -> None:
    """Accepted for an email never seen, then the person's first visit: the same history
    as when the visit came first."""
    accepted = crm("accepted", email=EMAIL, when=at(0))
    visit = page(email=EMAIL, when=at(30))
    first, late = Pair(), Pair()
    first.apply(first.mail, accepted, visit)
    late.apply(late.mail, visit, accepted)
    assert first.lead(EMAIL).history == late.lead(EMAIL).history
    assert _funnel(first) == _funnel(late)
    assert [(e[0], e[1]) for e in late.lead(EMAIL).history] == [
        ("lead", at(30).timestamp()),
        ("sal", at(30).timestamp()),
    ]
