"""When a lead's fit was last told: the same events give the same time in any order, and a
merge gives the newest of both sides (a max), so live and a rescore agree."""

from __future__ import annotations

from datetime import datetime

from leadpulse.kernel.wire import Envelope
from scorer.handlers.dispatch import apply_message
from scorer.storage.keys import PartitionKeys
from scorer.storage.view import PartitionView
from scorer.storage.writes import WriteSet
from tests.unit.scorer.effects import RULES
from tests.unit.scorer.events import at, identify

EMAIL = "vp@initech.example"
MODEL = RULES.compiled.models[0].name


def _fit(events: list[Envelope]) -> tuple[float, dict[str, float]]:
    view = PartitionView(PartitionKeys(0), -1)
    ws = WriteSet(view.pk)
    for offset, event in enumerate(events):
        apply_message(view, RULES, f"email:{EMAIL}", offset, event, ws)
    (state,) = [s for s in view.leads.values() if s is not None]
    model = state.models[MODEL]
    return model.fit_at, model.fit


def _told(when: datetime) -> Envelope:
    return identify(email=EMAIL, traits={"title": "VP Sales"}, when=when)


def test_the_fit_time_is_the_newest_telling_whatever_the_order() -> None:
    first, second = _told(at(0, days=1)), _told(at(0, days=2))
    in_order, reversed_ = _fit([first, second]), _fit([second, first])
    assert in_order == reversed_
    assert in_order[0] == at(0, days=2).timestamp()
    assert in_order[1] == {"senior_title": 20.0}
