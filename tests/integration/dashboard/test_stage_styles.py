"""Every stage has its pill's class in the stylesheet the running dashboard serves."""

from __future__ import annotations

import re

import pytest

from leadpulse.kernel.domain import Stage
from tests.integration.ingest.conftest import EdgeFactory

pytestmark = pytest.mark.timeout(60)


def _rules(css: str) -> dict[str, str]:
    """Each selector of the stylesheet, with the declarations of its rule."""
    found: dict[str, str] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        for selector in selectors.split(","):
            found[selector.strip()] = body
    return found


async def test_every_stage_has_a_pill_class_in_the_served_stylesheet(
    edge_factory: EdgeFactory,
) -> None:
    """`.pill.<stage>` sets a background and a color for each stage, and the tones the
    other pills use are there too."""
    async with edge_factory() as edge, edge.client() as client:
        page = await client.get("/dashboard/login")
    assert page.status_code == 200
    style = re.search(r"<style>(.*?)</style>", page.text, re.S)
    assert style, "the page serves no stylesheet"
    rules = _rules(style.group(1))
    for stage in Stage:
        body = rules.get(f".pill.{stage.css_class}")
        assert body is not None, f"no pill class for {stage}"
        assert "background:" in body and "color:" in body
        assert rules[f".pill.{stage.tone}"] == body
