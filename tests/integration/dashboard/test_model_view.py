"""The dashboard's Model page on a running ingest: versions, backtest AUCs, reliability."""

from __future__ import annotations

from typing import Any

from scorer.predict.report import backtest
from scorer.predict.trainer import train_and_publish
from tests.integration.dashboard.test_alerts_view import _login
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
        cookie = await _login(client)
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
        cookie = await _login(client)
        page = await client.get("/dashboard/model", headers=cookie)
    assert page.status_code == 200
    assert "No model yet" in page.text
