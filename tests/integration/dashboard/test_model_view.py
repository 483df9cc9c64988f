"""The dashboard's Model page on a running ingest: versions, backtest AUCs, reliability."""

from __future__ import annotations

import re
from typing import Any

from leadpulse.kernel.config import load_config
from leadpulse.kernel.config.predict import PredictModel
from scorer.predict.report import backtest
from scorer.predict.trainer import train_and_publish
from tests.integration.dashboard.login import login
from tests.integration.ingest.conftest import EdgeFactory
from tests.unit.scorer.predict.test_learn import _population_examples


async def test_model_page_shows_the_backtest_beside_the_rules_score(
    edge_factory: EdgeFactory, redis_client: Any
) -> None:
    """After the trainer published a version, the page names it, gives p_convert's and
    the rules score's AUCs from its backtest, and draws the reliability plot."""
    examples, _ = _population_examples(600, seed=9)
    assert await train_and_publish(redis_client, examples, shadow=False) is not None
    result = backtest(examples)
    assert result is not None
    async with edge_factory() as edge, edge.client() as client:
        cookie = await login(client)
        page = await client.get("/dashboard/model", headers=cookie)
    assert page.status_code == 200
    assert "Live version <b>1</b>" in page.text
    assert f"{result.p_convert.auc:.3f}" in page.text
    assert f"{result.rules_score.auc:.3f}" in page.text
    assert 'aria-label="Reliability plot"' in page.text
    assert page.text.count('class="pc"') == len(result.p_convert.bins)


async def test_model_page_before_any_model_says_so(
    edge_factory: EdgeFactory, redis_client: Any
) -> None:
    """With no outcomes yet, the page says there is no model."""
    async with edge_factory() as edge, edge.client() as client:
        cookie = await login(client)
        page = await client.get("/dashboard/model", headers=cookie)
    assert page.status_code == 200
    assert "No model yet" in page.text


async def test_model_page_shows_every_configured_model_promoted_and_shadow(
    edge_factory: EdgeFactory, redis_client: Any
) -> None:
    """Two models configured: each has its own card with its versions (live and, for one,
    a version in shadow), its backtest figures naming the version tested, and its own
    reliability plot."""
    base = load_config()
    models = [
        PredictModel(name="enterprise", traits={"segment": ["enterprise"]}),
        PredictModel(name="default"),
    ]
    config = base.model_copy(update={"predict": base.predict.model_copy(update={"models": models})})
    examples, _ = _population_examples(600, seed=9)
    enterprise, rest = examples[: len(examples) // 2], examples[len(examples) // 2 :]
    assert await train_and_publish(redis_client, rest, shadow=False, name="default")
    assert await train_and_publish(redis_client, enterprise[:-60], shadow=False, name="enterprise")
    assert await train_and_publish(redis_client, enterprise, shadow=True, name="enterprise")
    figures = {name: backtest(own) for name, own in (("default", rest), ("enterprise", enterprise))}
    async with edge_factory(config) as edge, edge.client() as client:
        cookie = await login(client)
        page = await client.get("/dashboard/model", headers=cookie)
    assert page.status_code == 200
    cards = dict(
        re.findall(r'<div class="card model" id="model-([a-z]+)">(.*?)</svg></div>', page.text)
    )
    assert sorted(cards) == ["default", "enterprise"]
    assert "Live version <b>1</b>" in cards["default"] and "shadow" not in cards["default"]
    assert "Live version <b>1</b>" in cards["enterprise"]
    assert "version <b>2</b> in shadow" in cards["enterprise"]
    assert 'class="tested">2</b> (in shadow)' in cards["enterprise"]
    assert 'class="tested">1</b> (live)' in cards["default"]
    for name, card in cards.items():
        result = figures[name]
        assert result is not None
        for scores in (result.p_convert, result.rules_score):
            for value in (scores.auc, scores.log_loss, scores.brier):
                assert f"{value:.3f}" in card
        assert 'aria-label="Reliability plot"' in card
        assert card.count('class="pc"') == len(result.p_convert.bins)
