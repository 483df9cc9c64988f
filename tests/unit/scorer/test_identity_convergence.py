"""One person's visits, identify, login with a user id and CRM outcome, delivered in every
order the topic allows and with the scorers' own messages (claims, merges, forwards) taken
early or late: one lead, under one id, with one history, whichever partitions the three
identities share."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from leadpulse.kernel.config import load_config
from leadpulse.kernel.wire import Envelope, read_envelope
from scorer.core.config import Rules
from scorer.handlers.dispatch import apply_message
from scorer.storage.keys import PartitionKeys
from scorer.storage.view import PartitionView
from scorer.storage.writes import WriteSet
from tests.unit.scorer.events import at, crm, identify, page

RULES = Rules.from_config(load_config().scoring)
EMAIL = "xena@tyrell-bio.example"
Lead = tuple[str, list[str], list[tuple[str, float, str]]]


class Partitions:
    """Three partition views; `home` says which one each kind of identity lives on."""

    def __init__(self, home: dict[str, int]) -> None:
        self.views = [PartitionView(PartitionKeys(p), -1) for p in range(3)]
        self.home = home

    def send(self, event: Envelope, key: str) -> None:
        view = self.views[self.home[key.split(":", 1)[0]]]
        view.stored_offset += 1
        apply_message(view, RULES, key, view.stored_offset, event, WriteSet(view.pk))

    def deliver_all(self) -> None:
        """The scorers' own messages, until none is pending (account messages aside)."""
        while pending := [
            (view, m)
            for view in self.views
            for m in view.outbound
            if m.topic == "events" and not m.key.startswith("account:")
        ]:
            for view, message in pending:
                view.outbound.remove(message)
                self.send(read_envelope(message.value), message.key)

    def leads(self) -> list[Lead]:
        return sorted(
            (lead_id, sorted(state.keys), [tuple(e[:3]) for e in state.history])
            for view in self.views
            for lead_id, state in view.leads.items()
            if state is not None
        )


STEPS: list[Callable[[Partitions], None]] = [
    lambda ps: ps.send(page(anon="a", when=at(0)), "anon:a"),
    lambda ps: ps.send(identify(anon="a", email=EMAIL, when=at(5)), f"email:{EMAIL}"),
    lambda ps: ps.send(page(anon="a", email=EMAIL, when=at(10)), f"email:{EMAIL}"),
    lambda ps: ps.send(identify(anon="a", email=EMAIL, user="u", when=at(0, days=1)), "user:u"),
    lambda ps: ps.send(crm("accepted", email=EMAIL, when=at(0, days=2)), f"email:{EMAIL}"),
]


def _run(home: dict[str, int], order: tuple[int, ...], early: set[int]) -> list[Lead]:
    partitions = Partitions(home)
    for index in order:
        STEPS[index](partitions)
        if index in early:
            partitions.deliver_all()
    partitions.deliver_all()
    return partitions.leads()


@pytest.mark.parametrize(
    "home",
    [
        {"anon": 0, "email": 1, "user": 2},
        {"anon": 0, "email": 1, "user": 0},  # the user id shares the visitor's partition
        {"anon": 0, "email": 1, "user": 1},  # ... or the email's
        {"anon": 0, "email": 0, "user": 2},  # the email shares the visitor's
    ],
)
def test_every_delivery_order_ends_in_the_same_lead(home: dict[str, int]) -> None:
    expected = _run(home, tuple(range(len(STEPS))), set(range(len(STEPS))))
    [(_, keys, history)] = expected
    assert keys == ["anon:a", f"email:{EMAIL}", "user:u"]
    assert [e[0] for e in history] == ["visitor", "lead", "sal"]
    for order in itertools.permutations(range(len(STEPS))):
        if order.index(1) > order.index(2):
            continue  # the email's own page follows its identify on one partition
        for flags in itertools.product((False, True), repeat=len(STEPS)):
            early = {i for i, on in enumerate(flags) if on}
            assert _run(home, order, early) == expected, (order, sorted(early))
