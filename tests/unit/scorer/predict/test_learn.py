"""The learned score's pure parts: training, calibration, factors, metrics, determinism."""

from __future__ import annotations

import math
import random

import msgspec
import pytest
from river import naive_bayes

from leadpulse.dev.journeys import make_population
from scorer.core.conversion.examples import Example, Snapshot, canonical
from scorer.core.conversion.weights import encode_model, predict
from scorer.predict.learn import linear_of_nb, train
from scorer.predict.metrics import auc, ece
from scorer.predict.trainer import by_model


def _example(i: int, features: list[str], label: int, t: float | None = None) -> Example:
    return Example(
        example_id=f"lead-{i}|0.000",
        lead_id=f"lead-{i}",
        model="default",
        snapshot=Snapshot(at=0.0, stage="mql", features=features, score=0.0),
        outcome="won" if label else "lost",
        outcome_at=float(i) if t is None else t,
        label=label,
    )


def _population_examples(leads: int, seed: int) -> tuple[list[Example], dict[str, float]]:
    """The simulator's fit and behaviour as features, with its outcomes and hidden truth."""
    population = make_population(leads, seed=seed, to_sales=True)
    features: dict[str, set[str]] = {}
    outcomes: dict[str, tuple[str, float]] = {}
    for step in population.steps:
        body = step.body
        if body.get("type") == "identify":
            traits = body["traits"]
            features[traits["email"]] = {
                f"title:{traits['title']}",
                f"size:{traits['company_size']}",
                f"industry:{traits['industry']}",
                f"domain:{traits['email'].split('@')[1]}",
                f"source:{body['context'].get('campaign', {}).get('source', 'direct')}",
            }
        elif body.get("type") == "track" and "traits" in body.get("context", {}):
            email = body["context"]["traits"]["email"]
            if email in features and email not in outcomes:
                features[email].add(f"event:{body['event']}")
        elif step.channel == "crm" and body["type"] in ("won", "lost", "not_now", "disqualified"):
            outcomes[body["email"]] = (body["type"], step.at.timestamp())
    examples = [
        Example(
            example_id=email,
            lead_id=email,
            model="default",
            snapshot=Snapshot(at=0.0, stage="mql", features=sorted(features[email]), score=0.0),
            outcome=outcome,
            outcome_at=t,
            label=int(outcome == "won"),
        )
        for email, (outcome, t) in outcomes.items()
    ]
    return canonical(examples), population.propensity


def test_factors_sum_with_the_intercept_to_the_logit() -> None:
    """intercept + listed factors + the rest = logit(p_convert), for every lead."""
    examples, _ = _population_examples(600, seed=3)
    model = train(examples, "default")
    for example in examples[:50]:
        prediction = predict(model, example.snapshot.features)
        total = prediction.intercept + sum(f.contribution for f in prediction.factors)
        p = prediction.p_convert
        assert total + prediction.rest == pytest.approx(math.log(p / (1 - p)), abs=1e-9)
        assert len([f for f in prediction.factors if f.contribution > 0]) <= 3
        assert len([f for f in prediction.factors if f.contribution < 0]) <= 3


def test_naive_bayes_weights_give_rivers_own_prediction() -> None:
    """The exported naive Bayes (intercept + weights) predicts what river predicts."""
    rng = random.Random(5)
    nb = naive_bayes.BernoulliNB(alpha=1.0)  # type: ignore[no-untyped-call]
    for _ in range(150):
        x = {f: 1.0 for f in "abcdef" if rng.random() < 0.5}
        nb.learn_one(x, ("a" in x and rng.random() < 0.8) or rng.random() < 0.2)  # type: ignore[no-untyped-call]
    intercept, weights = linear_of_nb(nb)
    for x in ({"a": 1.0}, {"b": 1.0, "c": 1.0}, {}):
        proba = nb.predict_proba_one(x)
        logit = intercept + sum(weights[f] for f in x)
        assert logit == pytest.approx(math.log(proba[True] / proba[False]), abs=1e-6)


def test_scarce_outcomes_train_naive_bayes_and_plenty_train_ftrl() -> None:
    """Under 200 outcomes the learner is naive Bayes; from 200 on, FTRL-Proximal."""
    examples, _ = _population_examples(400, seed=4)
    assert train(examples[:150], "default").kind == "naive_bayes"
    assert train(examples, "default").kind == "ftrl"


def test_the_same_outcomes_in_any_arrival_order_give_the_same_weights() -> None:
    """Training reads the canonical order, so a replay or another interleaving of the
    same outcomes (duplicates included) publishes byte-identical weights."""
    examples, _ = _population_examples(500, seed=6)
    shuffled = examples + examples[:40]
    random.Random(1).shuffle(shuffled)
    assert encode_model(train(shuffled, "default")) == encode_model(train(examples, "default"))


def test_p_convert_ranks_nearly_as_well_as_the_truth_and_is_calibrated() -> None:
    """Trained on the earlier half of 3,000 simulated outcomes, p_convert's AUC on the
    later half is within 0.05 of the hidden propensity's, with ECE under 0.05."""
    examples, truth = _population_examples(3000, seed=11)
    half = len(examples) // 2
    model = train(examples[:half], "default")
    later = examples[half:]
    labels = [e.label for e in later]
    p = [predict(model, e.snapshot.features).p_convert for e in later]
    true_auc = auc([truth[e.lead_id] for e in later], labels)
    assert auc(p, labels) > true_auc - 0.05
    assert ece(p, labels) < 0.05


def test_auc_and_ece_on_known_figures() -> None:
    """AUC counts ties as half; ECE is the count-weighted gap of 10 equal bins."""
    assert auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == 0.75
    assert auc([0.5, 0.5], [0, 1]) == 0.5
    assert ece([0.25] * 4, [0, 0, 0, 1]) == 0.0
    assert ece([0.95, 0.95], [0, 0]) == pytest.approx(0.95)


def test_each_model_trains_on_its_own_examples_only() -> None:
    """The trainer's split: every configured model gets the examples made for it, in order;
    an example for a model no longer configured trains nothing."""
    examples = [
        msgspec.structs.replace(_example(i, ["x:1"], i % 2), model=model)
        for i, model in enumerate(["default", "enterprise", "default", "retired"])
    ]
    grouped = by_model(examples, ["enterprise", "default"])
    assert list(grouped) == ["enterprise", "default"]
    assert [e.lead_id for e in grouped["default"]] == ["lead-0", "lead-2"]
    assert [e.lead_id for e in grouped["enterprise"]] == ["lead-1"]
