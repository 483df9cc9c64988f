"""Decision snapshots and outcome examples on the pure apply path (no Valkey, no Kafka)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from leadpulse.kernel.config import load_config
from leadpulse.kernel.config.predict import PredictModel
from leadpulse.kernel.schema import Alert, decode
from leadpulse.kernel.wire import Envelope
from scorer.core.config import Rules
from scorer.core.conversion.examples import Example, decode_example
from scorer.core.conversion.live import live_models
from scorer.core.conversion.weights import LinearModel
from scorer.handlers.dispatch import apply_message
from scorer.storage.keys import PartitionKeys
from scorer.storage.view import PartitionView
from tests.unit.scorer.events import at, crm, identify, page, track

RULES = Rules.from_config(load_config().scoring)
TRAITS = {"title": "VP Marketing", "company_size": 450, "industry": "software"}


def _apply(view: PartitionView, *events: Envelope, rules: Rules = RULES) -> None:
    for offset, event in enumerate(events, start=view.stored_offset + 1):
        apply_message(view, rules, event.key, offset, event)
        view.stored_offset = offset


def _examples(view: PartitionView) -> list[Example]:
    return [decode_example(m.value) for m in view.outbound if m.topic == "outcomes"]


def _journey(
    email: str, after_mql: list[Envelope], outcome: str, rules: Rules = RULES
) -> PartitionView:
    view = PartitionView(PartitionKeys(0), -1)
    _apply(
        view,
        identify(email=email, traits=TRAITS, when=at(0)),
        page("/demo/pricing", email=email, when=at(5)),
        track("Demo Requested", email=email, when=at(10)),  # fast pass: enters mql
        *after_mql,
        crm(outcome, email=email, when=at(days=20)),
        rules=rules,
    )
    return view


@pytest.fixture
def no_model() -> Iterator[None]:
    models = live_models()
    held = (models.live, models.shadow)
    models.live = models.shadow = None
    yield
    models.live, models.shadow = held


@pytest.mark.usefixtures("no_model")
def test_a_won_deal_becomes_one_positive_example_of_the_mql_snapshot() -> None:
    """Won after entering mql: one example, label 1, features as they were at mql."""
    view = _journey("w@acme.example", [], "won")
    (example,) = _examples(view)
    assert example.label == 1 and example.outcome == "won"
    assert example.snapshot.stage == "mql"
    assert example.snapshot.at == at(10).timestamp()
    assert {"fast_pass:yes", "seniority:senior", "industry:software"} <= set(
        example.snapshot.features
    )


@pytest.mark.usefixtures("no_model")
@pytest.mark.parametrize("outcome", ["lost", "disqualified", "not_now"])
def test_lost_disqualified_and_not_now_are_negative(outcome: str) -> None:
    """Every negative CRM outcome gives label 0."""
    (example,) = _examples(_journey("n@acme.example", [], outcome))
    assert example.label == 0


@pytest.mark.usefixtures("no_model")
def test_activity_after_the_snapshot_changes_no_example() -> None:
    """Leakage: pricing visits, a webinar and a download after mql leave the example as
    it would be without them."""
    later = [
        page("/demo/pricing", email="l@acme.example", when=at(days=2)),
        track("Webinar Attended", email="l@acme.example", when=at(days=3)),
        track("Content Downloaded", email="l@acme.example", when=at(days=4)),
    ]
    (busy,) = _examples(_journey("l@acme.example", later, "won"))
    (quiet,) = _examples(_journey("l@acme.example", [], "won"))
    assert busy.snapshot == quiet.snapshot
    assert "webinar_attended:yes" not in busy.snapshot.features


@pytest.mark.usefixtures("no_model")
def test_traits_told_after_the_snapshot_change_no_example() -> None:
    """Leakage: a new title and company size told after mql leave the example as it
    would be without them (who the lead was at its decision), while the lead shows them."""
    email = "t@acme.example"
    later = [identify(email=email, traits={"title": "Analyst", "company_size": 8}, when=at(days=2))]
    view = _journey(email, later, "won")
    (changed,) = _examples(view)
    (kept,) = _examples(_journey(email, [], "won"))
    assert changed.snapshot == kept.snapshot
    assert {"seniority:senior", "size:<1000"} <= set(changed.snapshot.features)
    (lead,) = view.leads.values()
    assert lead is not None and lead.traits["title"] == "Analyst"


@pytest.mark.usefixtures("no_model")
def test_no_model_no_prediction_in_the_alert() -> None:
    """Until a model exists the mql alert carries no prediction."""
    view = _journey("a@acme.example", [], "won")
    alert = next(decode(Alert, m.value) for m in view.outbound if m.topic == "alerts")
    assert alert.lead.prediction is None


@pytest.mark.usefixtures("no_model")
def test_the_mql_alert_carries_the_live_models_prediction() -> None:
    """With a live model, the mql alert's lead has p_convert, tier, model and version."""
    live_models().live = LinearModel(
        name="default",
        version=7,
        kind="ftrl",
        intercept=-1.0,
        weights={"fast_pass:yes": 0.8, "seniority:senior": 0.6, "domain:free": -1.0},
        examples=300,
        positives=100,
    )
    view = _journey("p@acme.example", [], "won")
    alert = next(decode(Alert, m.value) for m in view.outbound if m.topic == "alerts")
    prediction = alert.lead.prediction
    assert prediction is not None
    assert prediction["version"] == 7 and prediction["model"] == "default"
    assert prediction["p_convert"] == pytest.approx(1 / (1 + 2.718281828459045**-0.4))
    assert [f["feature"] for f in prediction["factors"]] == [
        "fast_pass:yes",
        "seniority:senior",
    ]


def _rules_with(**predict: object) -> Rules:
    config = load_config()
    return Rules.from_config(config.scoring, predict=config.predict.model_copy(update=predict))


@pytest.mark.usefixtures("no_model")
def test_the_configured_horizon_decides_a_late_win() -> None:
    """`predict.horizon_days: 10`: a win 20 days after mql is a negative example; with the
    default 90 days the same journey is a positive one."""
    (short,) = _examples(_journey("h@acme.example", [], "won", _rules_with(horizon_days=10)))
    (default,) = _examples(_journey("h@acme.example", [], "won"))
    assert short.label == 0 and default.label == 1


@pytest.mark.usefixtures("no_model")
def test_the_configured_decision_stage_takes_the_snapshot() -> None:
    """`predict.decision_stages: [sal]`: the snapshot is taken when sales accepts the lead,
    not at mql."""
    accepted = [crm("accepted", email="s@acme.example", when=at(days=5))]
    rules = _rules_with(decision_stages=["sal"])
    (example,) = _examples(_journey("s@acme.example", accepted, "won", rules))
    assert example.snapshot.stage == "sal"
    assert example.snapshot.at == at(days=5).timestamp()


def _segmented() -> Rules:
    config = load_config()
    models = [
        PredictModel(name="enterprise", traits={"segment": ["enterprise"]}),
        PredictModel(name="default"),
    ]
    return Rules.from_config(
        config.scoring, predict=config.predict.model_copy(update={"models": models})
    )


def _segment_journey(email: str, segment: str, rules: Rules) -> PartitionView:
    view = PartitionView(PartitionKeys(0), -1)
    _apply(
        view,
        identify(email=email, traits={**TRAITS, "segment": segment}, when=at(0)),
        track("Demo Requested", email=email, when=at(10)),
        crm("won", email=email, when=at(days=20)),
        rules=rules,
    )
    return view


@pytest.mark.usefixtures("no_model")
def test_each_model_learns_from_and_predicts_for_its_own_leads() -> None:
    """Two models, `enterprise` (segment: enterprise) then `default`: an enterprise lead's
    example and alert prediction are the enterprise model's, an SMB lead's the default's."""
    rules = _segmented()
    models = live_models()
    weights = {"fast_pass:yes": 0.8}
    models.live = LinearModel(
        name="default",
        version=7,
        kind="ftrl",
        intercept=-1.0,
        weights=weights,
        examples=300,
        positives=90,
    )
    enterprise = LinearModel(
        name="enterprise",
        version=3,
        kind="ftrl",
        intercept=0.5,
        weights=weights,
        examples=300,
        positives=90,
    )
    models.others = {"enterprise": (enterprise, None)}
    try:
        big = _segment_journey("big@acme.example", "Enterprise", rules)
        small = _segment_journey("small@acme.example", "smb", rules)
    finally:
        models.others = {}
    for view, model, version in ((big, "enterprise", 3), (small, "default", 7)):
        (example,) = _examples(view)
        assert example.model == model
        alert = next(decode(Alert, m.value) for m in view.outbound if m.topic == "alerts")
        assert alert.lead.prediction is not None
        assert (alert.lead.prediction["model"], alert.lead.prediction["version"]) == (
            model,
            version,
        )
