"""Horizons on the pure apply path: each message's decision passes its time first."""

from __future__ import annotations

from leadpulse.kernel.wire import Envelope
from scorer.core.conversion.examples import Example, decode_example
from scorer.handlers.dispatch import apply_message, end_run
from scorer.storage.writes import WriteSet
from tests.unit.scorer.effects import RULES, view
from tests.unit.scorer.events import at, page, track

TRAITS = {"title": "VP Marketing", "company_size": 450, "industry": "software"}


def _examples(*events: Envelope) -> list[Example]:
    """Apply `events` on one partition, in one run; the examples it published."""
    v = view()
    ws = WriteSet(v.pk)
    for offset, event in enumerate(events):
        apply_message(v, RULES, event.key, offset, event, ws)
    end_run(ws, v, RULES)
    return [decode_example(m.value) for m in v.outbound if m.topic == "outcomes"]


def test_a_decision_re_walked_behind_the_watermark_ends_at_the_next_message() -> None:
    """The partition's time is day 100 when a late demo request puts a decision on day 1:
    its horizon (day 91) has passed, so the next message ends it, though dated earlier."""
    email = "behind@e.example"
    (example,) = _examples(
        page("/demo/blog/a", email=email, traits=TRAITS, when=at(days=0)),
        page("/demo/blog/a", email="other@e.example", when=at(days=100)),
        page("/demo/blog/b", email=email, when=at(days=50)),
        track("Demo Requested", email=email, when=at(days=1)),
        page("/demo/blog/c", email="third@e.example", when=at(days=2)),
    )
    assert example.outcome == "no_outcome"
    assert example.snapshot.at == at(days=1).timestamp()
