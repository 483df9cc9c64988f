"""The pure apply path on an in-memory partition view: no Valkey, no Kafka."""

from __future__ import annotations

import orjson

from leadpulse.kernel.config import load_config
from leadpulse.kernel.messages import KINDS, Claim, Merge, message_of
from leadpulse.kernel.schema import (
    Alert,
    AlertLead,
    EventEnvelope,
    Identity,
    decode,
    encode,
    lead_id_for,
)
from leadpulse.kernel.wire import Envelope, read_envelope
from scorer.core.alerts import lead_summary, lead_summary_data
from scorer.core.config import Rules
from scorer.core.decay import value_at
from scorer.core.merge import load_snapshot
from scorer.core.timeline import entries
from scorer.handlers.dispatch import HANDLERS, apply_message
from scorer.storage.keys import PartitionKeys
from scorer.storage.view import PartitionView
from tests.unit.scorer.events import at, crm, identify, page, track

RULES = Rules.from_config(load_config().scoring)


def _apply(view: PartitionView, *events: Envelope) -> list[str]:
    outcomes = []
    for offset, event in enumerate(events, start=view.stored_offset + 1):
        _, outcome = apply_message(view, RULES, event.key, offset, event)
        outcomes.append(outcome)
        view.stored_offset = offset
    return outcomes


def _view() -> PartitionView:
    return PartitionView(PartitionKeys(0), -1)


def test_a_duplicate_event_id_is_not_applied_twice() -> None:
    """The second copy of an event id writes nothing but the offset."""
    view = _view()
    event = page("/demo/pricing", anon="a", event_id="same")
    assert _apply(view, event, event) == ["applied", "duplicate"]


def test_identify_claims_the_anonymous_identity() -> None:
    """An event linking a weaker identity publishes one claim keyed to that identity."""
    view = _view()
    _apply(view, identify(anon="b1", email="x@acme.example"))
    claims = [m for m in view.outbound if m.msg_id.startswith("claim:")]
    assert [m.key for m in claims] == ["anon:b1"]
    claim = message_of(read_envelope(claims[0].value))
    assert isinstance(claim, Claim) and claim.survivor == "email:x@acme.example"


def test_a_claim_in_the_same_batch_snapshots_the_whole_timeline() -> None:
    """Pages applied earlier in the same batch travel in the merge snapshot."""
    anon_side, email_side = _view(), PartitionView(PartitionKeys(1), -1)
    _apply(anon_side, page("/demo/pricing", anon="b2"), page("/demo/blog/a", anon="b2", when=at(1)))
    _apply(email_side, identify(anon="b2", email="y@acme.example", when=at(2)))
    claim = next(m for m in email_side.outbound if m.msg_id.startswith("claim:"))
    _apply(anon_side, read_envelope(claim.value))
    merge = next(m for m in anon_side.outbound if m.msg_id.startswith("merge:"))
    merged = message_of(read_envelope(merge.value))
    assert isinstance(merged, Merge)
    assert len(entries(load_snapshot(merged.snapshot).steps, merged.snapshot.timeline)) == 2
    assert anon_side.forwards["anon:b2"] == "email:y@acme.example"
    assert _apply(email_side, read_envelope(merge.value)) == ["control"]
    lead = email_side.leads[email_side.identities["email:y@acme.example"]]
    assert lead is not None and {"pricing_page", "page_view"} <= set(
        lead.models["default"].engagement
    )
    paths = [e.get("path") for e in entries(lead.steps)]
    assert paths == [None, "/demo/blog/a", "/demo/pricing"]  # the identify, then the pages


def test_a_visitor_identifying_on_its_own_partition_is_claimed_as_anywhere_else() -> None:
    """The email's lead claims the visitor's through the topic even when both live on one
    partition, so the lead and its id are the same whichever came first."""
    in_order, late_page = _view(), _view()
    visit = page("/demo/pricing", anon="b3", event_id="visit-1")
    hello = identify(anon="b3", email="u@acme.example", event_id="hello-1")
    _apply(in_order, visit, hello)
    for kind in ("claim:", "merge:"):
        [message] = [m for m in in_order.outbound if m.msg_id.startswith(kind)]
        in_order.outbound.remove(message)
        _apply(in_order, read_envelope(message.value))
    _apply(late_page, hello, visit)
    leads = [
        {lid: (s.keys, s.history) for lid, s in view.leads.items() if s is not None}
        for view in (in_order, late_page)
    ]
    assert list(leads[0]) == list(leads[1]) == [lead_id_for("email:u@acme.example")]
    assert leads[0] == leads[1]


def test_fast_pass_queues_one_mql_alert_with_a_stable_id() -> None:
    """A demo request queues an mql alert whose id replays identically."""
    first, second = _view(), _view()
    events = [track("Demo Requested", email="z@acme.example", event_id="demo-1")]
    _apply(first, *events)
    _apply(second, *events)
    alerts = [decode(Alert, m.value) for m in first.outbound if m.topic == "alerts"]
    again = [decode(Alert, m.value) for m in second.outbound if m.topic == "alerts"]
    assert [a.type for a in alerts] == ["mql"]
    assert alerts[0].alert_id == again[0].alert_id


def test_bot_events_score_nothing() -> None:
    """A flagged event is applied (timeline) but leaves score and stage alone."""
    view = _view()
    _apply(view, track("Form Submitted", email="w@acme.example"))
    _apply(view, track("Demo Requested", email="w@acme.example", bot=True))
    lead = next(state for state in view.leads.values() if state is not None)
    assert lead.stage == "lead"
    assert list(lead.models["default"].engagement) == ["form_submitted"]


def test_lost_then_visits_raise_lost_deal_returned_once() -> None:
    """After CRM lost, the third visit within 14 days raises the alert; later ones do not."""
    view = _view()
    email = "v@acme.example"
    _apply(view, track("Form Submitted", email=email), crm("lost", email=email, when=at(1)))
    _apply(view, *[page("/demo/pricing", email=email, when=at(10 + i)) for i in range(5)])
    kinds = [orjson.loads(m.value)["type"] for m in view.outbound if m.topic == "alerts"]
    assert kinds == ["lost_deal_returned"]


def _deliver(view: PartitionView, source: PartitionView, prefix: str) -> list[str]:
    """Apply the messages `source` queued whose ids start with `prefix`."""
    messages = [m for m in source.outbound if m.msg_id.startswith(prefix)]
    source.outbound = [m for m in source.outbound if not m.msg_id.startswith(prefix)]
    outcomes = []
    for m in messages:
        event = read_envelope(m.value)
        view.stored_offset += 1
        outcomes.append(apply_message(view, RULES, m.key, view.stored_offset, event)[1])
    return outcomes


def test_merges_and_forwards_follow_a_chain_of_survivors() -> None:
    """anon -> email -> user: history and later anonymous events end at the user's lead."""
    anon, mail, user = (PartitionView(PartitionKeys(p), -1) for p in range(3))
    _apply(anon, page("/demo/pricing", anon="c1"))
    _apply(mail, identify(anon="c1", email="q@acme.example", when=at(1)))
    _deliver(anon, mail, "claim:")
    _deliver(mail, anon, "merge:")
    _apply(user, identify(user="u-1", email="q@acme.example", when=at(2)))
    _deliver(mail, user, "claim:")
    _deliver(user, mail, "merge:")
    lead = user.leads[user.identities["user:u-1"]]
    assert lead is not None and "pricing_page" in lead.models["default"].engagement
    assert {"anon:c1", "email:q@acme.example"} <= set(lead.keys)
    _apply(anon, page("/demo/compare/x", anon="c1", when=at(3)))
    _deliver(mail, anon, "fwd:")
    _deliver(user, mail, "fwd:")
    lead = user.leads[user.identities["user:u-1"]]
    assert lead is not None and "comparison_page" in lead.models["default"].engagement


def test_several_models_score_side_by_side() -> None:
    """A second model with its own rules and threshold scores alongside and names its mql."""
    config = load_config().scoring
    enterprise = config.models[0].model_copy(
        update={
            "name": "enterprise",
            "threshold": 20,
            "rules": [
                rule.model_copy(update={"points": 30, "cap": None})
                for rule in config.models[0].rules
                if rule.name == "pricing_page"
            ],
        }
    )
    rules = Rules.from_config(config.model_copy(update={"models": [*config.models, enterprise]}))
    view = _view()
    events = [
        track("Form Submitted", email="m@acme.example"),
        page("/demo/pricing", email="m@acme.example", when=at(1)),
    ]
    for offset, event in enumerate(events):
        apply_message(view, rules, event.key, offset, event)
    lead = next(state for state in view.leads.values() if state is not None)
    assert set(lead.models) == {"default", "enterprise"}
    assert list(lead.models["enterprise"].engagement) == ["pricing_page"]
    alerts = [decode(Alert, m.value) for m in view.outbound if m.topic == "alerts"]
    assert [(a.type, a.model, a.reason) for a in alerts] == [
        ("mql", "enterprise", "score_threshold")
    ]


def test_an_unsubscribe_does_not_re_engage_a_recycled_lead() -> None:
    """After the pause, only engagement (a visit, points earned) brings a lead back."""
    view = _view()
    email = "n@acme.example"
    _apply(view, track("Form Submitted", email=email), crm("not_now", email=email, when=at(1)))
    _apply(view, track("Unsubscribed", email=email, when=at(days=100)))
    lead = next(state for state in view.leads.values() if state is not None)
    assert lead.stage == "recycle"
    _apply(view, page("/demo/blog/a", email=email, when=at(days=101)))
    assert lead.stage == "nurturing"


def test_a_merge_never_scores_past_a_cap() -> None:
    """Pricing read 3 times anonymously and 3 times known, same week: 30 points, not 60."""
    anon, mail = _view(), PartitionView(PartitionKeys(1), -1)
    _apply(anon, *(page("/demo/pricing", anon="cap-1", when=at(i)) for i in range(3)))
    _apply(
        mail, *(page("/demo/pricing", email="c@acme.example", when=at(10 + i)) for i in range(3))
    )
    _apply(mail, identify(anon="cap-1", email="c@acme.example", when=at(20)))
    _deliver(anon, mail, "claim:")
    _deliver(mail, anon, "merge:")
    lead = mail.leads[mail.identities["email:c@acme.example"]]
    assert lead is not None
    model = lead.models["default"]
    pricing = value_at(model.engagement["pricing_page"][0], model.anchor, at(20).timestamp(), 30)
    assert 29 < pricing <= 30.0
    assert sum(model.caps["pricing_page"].values()) == 30


def test_a_merge_scores_the_fit_of_both_sides_traits() -> None:
    """A title known anonymously and a company size known by email: both fit rules count."""
    anon, mail = _view(), PartitionView(PartitionKeys(1), -1)
    _apply(anon, identify(anon="fit-1", traits={"title": "Director of IT"}))
    traits = {"company_size": 400}
    _apply(mail, identify(anon="fit-1", email="f@acme.example", traits=traits, when=at(1)))
    _deliver(anon, mail, "claim:")
    _deliver(mail, anon, "merge:")
    lead = mail.leads[mail.identities["email:f@acme.example"]]
    assert lead is not None
    assert set(lead.models["default"].fit) == {"senior_title", "company_size_fit"}


def test_the_summary_an_account_touch_carries_is_the_alert_summary() -> None:
    """The JSON summary sent to an account's scorer validates to the one alerts show."""
    view = _view()
    _apply(view, track("Demo Requested", email="s@acme.example"), page(email="s@acme.example"))
    state = view.leads[view.identities["email:s@acme.example"]]
    assert state is not None
    data = lead_summary_data(state, RULES.compiled.models, state.last_seen)
    summary = lead_summary(state, RULES.compiled.models, state.last_seen)
    assert AlertLead.model_validate(orjson.loads(orjson.dumps(data))) == summary
    assert summary.stage == "mql" and summary.top_reasons


def test_every_kind_of_message_has_a_handler() -> None:
    """Adding a kind of message without a handler for it fails here."""
    assert set(HANDLERS) == set(KINDS)


def test_a_message_missing_what_its_handler_needs_changes_nothing() -> None:
    """A claim without its survivor moves the offset on and leaves the identity where it is."""
    view = _view()
    _apply(view, page("/demo/pricing", anon="d1"))
    before = (dict(view.identities), len(view.outbound))
    claim = read_envelope(
        encode(
            EventEnvelope(
                event_id="claim:bad",
                type="claim",
                source="scorer",
                identity=Identity(anonymous_id="d1"),
                timestamp=at(1),
                received_at=at(1),
                control={"claimed": "anon:d1"},
            )
        )
    )
    assert _apply(view, claim) == ["control"]
    assert (dict(view.identities), len(view.outbound)) == before
    assert not view.forwards
