"""Stages across identity merges and late events, on in-memory partition views."""

from __future__ import annotations

from collections import Counter

from leadpulse.kernel.config import load_config
from leadpulse.kernel.schema import Alert, decode
from leadpulse.kernel.wire import Envelope, read_envelope
from scorer.core.config import Rules
from scorer.core.state import LeadState
from scorer.handlers.dispatch import apply_message
from scorer.storage.keys import PartitionKeys
from scorer.storage.view import PartitionView
from scorer.storage.writes import WriteSet
from tests.unit.scorer.events import at, crm, identify, page, track

RULES = Rules.from_config(load_config().scoring)


class Pair:
    """The anonymous identity's partition and the email's, with their funnel counters."""

    def __init__(self) -> None:
        self.anon = PartitionView(PartitionKeys(0), -1)
        self.mail = PartitionView(PartitionKeys(1), -1)
        self.funnel: Counter[str] = Counter()

    def apply(self, view: PartitionView, *events: Envelope) -> None:
        for event in events:
            ws = WriteSet(view.pk)
            view.stored_offset += 1
            apply_message(view, RULES, event.key, view.stored_offset, event, ws)
            for op in ws.ops()[1]:
                if op[0] == "hincr":
                    key = ws.ops()[0][int(op[1]) - 1]
                    self.funnel[f"{key.rsplit(':', 1)[-1]}|{op[2]}"] += int(op[3])

    def control(self, view: PartitionView, prefix: str) -> Envelope:
        message = next(m for m in view.outbound if m.msg_id.startswith(prefix))
        view.outbound.remove(message)
        return read_envelope(message.value)

    def merge_now(self) -> None:
        """Deliver the pending claim, then its merge."""
        self.apply(self.anon, self.control(self.mail, "claim:"))
        self.apply(self.mail, self.control(self.anon, "merge:"))

    def lead(self, email: str) -> LeadState:
        state = self.mail.leads[self.mail.identities[f"email:{email}"]]
        assert state is not None
        return state

    def alerts(self) -> list[Alert]:
        return [decode(Alert, m.value) for m in self.mail.outbound if m.topic == "alerts"]


def _funnel(pair: Pair) -> dict[str, int]:
    return {k: n for k, n in pair.funnel.items() if n}


def test_a_demo_requested_while_the_merge_is_under_way_fast_passes_the_lead() -> None:
    """One beacon: identify + Form Submitted + Demo Requested from a new visitor -> mql."""
    pair = Pair()
    email = "new@initech.example"
    pair.apply(pair.mail, identify(anon="b1", email=email, when=at(0)))
    demo = track("Demo Requested", anon="b1", when=at(0.02))
    pair.apply(pair.anon, track("Form Submitted", anon="b1", when=at(0.01)), demo)
    pair.merge_now()
    lead = pair.lead(email)
    assert lead.stage == "mql"
    assert [e[:4] for e in lead.history][-1][2:] == ["fast_pass", demo.event_id]
    (alert,) = [a for a in pair.alerts() if a.type == "mql"]
    assert alert.reason == "fast_pass" and alert.trigger_event_id == demo.event_id


def test_a_demo_requested_anonymously_counts_when_the_visitor_identifies() -> None:
    """Demo sent anonymously, identify in a later batch: the lead is an mql for the demo."""
    pair = Pair()
    email = "early@initech.example"
    demo = track("Demo Requested", anon="b2", when=at(0))
    pair.apply(pair.anon, demo)
    pair.apply(pair.mail, identify(anon="b2", email=email, when=at(5)))
    pair.merge_now()
    lead = pair.lead(email)
    assert [e[0] for e in lead.history] == ["visitor", "lead", "mql"]
    assert lead.history[-1][2:4] == ["fast_pass", demo.event_id]
    assert [a.trigger_event_id for a in pair.alerts() if a.type == "mql"] == [demo.event_id]


EMAIL = "sam@globex.example"
ANON = [
    page(p, anon="b3", when=at(i))
    for i, p in enumerate(
        ["/demo/pricing", "/demo/compare/x", "/demo/case-studies/a", "/demo/pricing/b"]
    )
]
ANON += [
    track("Content Downloaded", anon="b3", when=at(5)),
    track("Form Submitted", anon="b3", when=at(9)),
]
IDENTIFY = identify(anon="b3", email=EMAIL, when=at(10), traits={"title": "VP"})
LATER = [
    page("/demo/blog/a", email=EMAIL, when=at(0, days=1)),
    crm("accepted", email=EMAIL, when=at(0, days=2)),
    track("Email Link Clicked", email=EMAIL, when=at(0, days=3)),
]


def _journey(pair: Pair, late_merge: bool) -> LeadState:
    pair.apply(pair.anon, *ANON)
    pair.apply(pair.mail, IDENTIFY)
    if late_merge:
        pair.apply(pair.mail, *LATER)
        pair.merge_now()
    else:
        pair.merge_now()
        pair.apply(pair.mail, *LATER)
    return pair.lead(EMAIL)


def test_the_result_does_not_depend_on_when_the_merge_arrives() -> None:
    """Merge right after the identify, or after every later event: same stages and funnel."""
    early, late = Pair(), Pair()
    a, b = _journey(early, late_merge=False), _journey(late, late_merge=True)
    assert a.history == b.history and a.stage == b.stage == "sal"
    assert sorted(x[1] for x in a.alerts) == sorted(x[1] for x in b.alerts)
    assert _funnel(early) == _funnel(late)
    assert [e[0] for e in a.history] == ["visitor", "lead", "mql", "sal"]
    assert early.funnel[f"flow|{at(0).date()}|mql"] == 1


def test_a_second_lost_is_no_new_entry_into_recycle() -> None:
    """lost, then lost again: one recycle entry in the history and in the funnel."""
    pair = Pair()
    email = "twice@globex.example"
    pair.apply(pair.mail, identify(email=email, when=at(0)))
    pair.apply(
        pair.mail, crm("lost", email=email, when=at(5)), crm("lost", email=email, when=at(9))
    )
    lead = pair.lead(email)
    assert [e[0] for e in lead.history] == ["lead", "recycle"]
    assert pair.funnel[f"flow|{at(0).date()}|recycle"] == 1
    assert lead.paused_until is not None and lead.paused_until > at(9).timestamp()


def test_a_backdated_crm_outcome_keeps_the_history_in_time_order() -> None:
    """An outcome dated 100 days before the lead takes effect at its first step, its date kept."""
    pair = Pair()
    email = "back@globex.example"
    pair.apply(pair.mail, identify(email=email, when=at(0, days=100)))
    pair.apply(pair.mail, crm("accepted", email=email, when=at(0)))
    lead = pair.lead(email)
    times = [e[1] for e in lead.history]
    assert times == sorted(times) and lead.stage == "sal"
    assert lead.history[-1][7] == at(0).timestamp()


def test_an_event_that_comes_late_is_walked_in_event_time_order() -> None:
    """A demo request that reaches the scorer after sales accepted the lead, dated before
    that: the lead passed mql on its way to sal, as if both had come in order."""
    email = "late@globex.example"
    first = identify(email=email, when=at(0))
    demo = track("Demo Requested", email=email, when=at(5))
    later = crm("accepted", email=email, when=at(9))
    in_order, late = Pair(), Pair()
    in_order.apply(in_order.mail, first, demo, later)
    late.apply(late.mail, first, later, demo)
    a, b = in_order.lead(email), late.lead(email)
    assert a.history == b.history
    assert [e[0] for e in b.history] == ["lead", "mql", "sal"]
    assert b.history[1][1] == at(5).timestamp()
    assert _funnel(in_order) == _funnel(late)
    assert [x.trigger_event_id for x in late.alerts() if x.type == "mql"] == [demo.event_id]


def test_a_visitors_page_forwarded_after_the_merge_is_walked_as_a_visitors_page() -> None:
    """Pages at 0 and 2, identify at 5: the page at 2 reaching the lead after the merge
    (forwarded) gives the history it gives when it came before: the lead was a visitor
    until its identify, not a lead from the page on."""
    email = "late@initech.example"
    first, second = page(anon="b9", when=at(0)), page("/demo/pricing", anon="b9", when=at(2))
    hello = identify(anon="b9", email=email, when=at(5))
    in_order = Pair()
    in_order.apply(in_order.anon, first, second)
    in_order.apply(in_order.mail, hello)
    in_order.merge_now()
    late = Pair()
    late.apply(late.anon, first)
    late.apply(late.mail, hello)
    late.merge_now()
    late.apply(late.anon, second)
    late.apply(late.mail, late.control(late.anon, "fwd:"))
    assert late.lead(email).history == in_order.lead(email).history
    assert _funnel(late) == _funnel(in_order)
    assert [(e[0], e[1]) for e in late.lead(email).history] == [
        ("visitor", at(0).timestamp()),
        ("lead", at(5).timestamp()),
    ]


def test_a_lead_a_bot_flagged_login_created_is_walked_again_when_history_merges_in() -> None:
    """A login flagged as a bot creates the user id's lead; the visitor's history merged in
    afterwards is walked with it, whether a CRM outcome forwarded there came first or not."""
    email = "bot@initech.example"
    results = []
    for outcome_first in (False, True):
        pair = Pair()
        pair.apply(pair.anon, page(anon="b7", when=at(0)))
        pair.apply(pair.anon, identify(anon="b7", email=email, when=at(5)))
        # both identities live on `anon`: the email's lead claims the visitor's there
        pair.apply(pair.anon, pair.control(pair.anon, "claim:"))
        pair.apply(pair.anon, pair.control(pair.anon, "merge:"))
        pair.apply(pair.mail, identify(user="u-7", email=email, when=at(60), bot=True))
        accepted = crm("accepted", user="u-7", when=at(61))
        if outcome_first:
            pair.apply(pair.mail, accepted)
        claim = pair.control(pair.mail, "claim:")
        pair.apply(pair.anon, claim)
        pair.apply(pair.mail, pair.control(pair.anon, "merge:"))
        if not outcome_first:
            pair.apply(pair.mail, accepted)
        lead = pair.mail.leads[pair.mail.identities["user:u-7"]]
        assert lead is not None
        results.append(([e[:3] for e in lead.history], _funnel(pair)))
    assert results[0] == results[1]
    assert [e[0] for e in results[0][0]] == ["visitor", "lead", "sal"]
