"""Model versions on the real broker and Valkey: shadow, promote, roll back; replay."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
import pytest

from leadpulse.dev.journeys import CHROME_UA
from leadpulse.kernel.settings import Settings
from scorer.core.conversion.live import live_models
from scorer.core.conversion.weights import LinearModel
from scorer.predict import model_promote, model_rollback
from scorer.predict import refresh as live_module
from scorer.predict.registry import publish, read_pointers
from tests.integration.scorer.conftest import (
    WRITE,
    Edge,
    ScorerStarter,
    read_alerts,
)


def _model(version_hint: float) -> LinearModel:
    return LinearModel(
        name="default",
        kind="ftrl",
        intercept=version_hint,
        weights={"rule:demo_requested": 0.5},
        examples=300,
        positives=90,
    )


async def _mql_alert_version(edge: Edge, settings: Settings, seen: int) -> int | None:
    """Send one new lead's demo request; the version its mql alert's prediction carries."""
    email = f"p{uuid.uuid4().hex[:8]}@acme.example"
    message = {
        "event": "Demo Requested",
        "anonymousId": email,
        "context": {"traits": {"email": email}, "userAgent": CHROME_UA},
    }
    async with edge.client() as client:
        response = await client.post("/v1/track", json=message, auth=WRITE)
        assert response.status_code == 200, response.text
    alerts = await read_alerts(settings, seen + 1)
    mine = [a for a in alerts if a.type == "mql" and a.lead.email == email]
    assert len(mine) == 1
    prediction = mine[0].lead.prediction
    return None if prediction is None else int(prediction["version"])


async def test_shadow_then_promote_then_rollback_changes_what_alerts_carry(
    edge: Edge,
    start_scorer: ScorerStarter,
    scorer_settings: Settings,
    redis: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """v1 live: alerts carry v1; v2 in shadow: still v1; promote v2: v2; roll back: v1."""
    monkeypatch.setattr(live_module, "REFRESH_SECONDS", 0.0)  # every batch sees the registry
    await start_scorer()
    assert await _mql_alert_version(edge, scorer_settings, 0) is None
    assert await publish(redis, _model(-1.0), shadow=True) == 1  # the first goes live
    assert await _mql_alert_version(edge, scorer_settings, 1) == 1
    assert await publish(redis, _model(-0.5), shadow=True) == 2
    assert await read_pointers(redis) == (1, 2)
    assert await _mql_alert_version(edge, scorer_settings, 2) == 1
    await model_promote(scorer_settings, 2)
    assert await _mql_alert_version(edge, scorer_settings, 3) == 2
    await model_rollback(scorer_settings, 1)
    assert await _mql_alert_version(edge, scorer_settings, 4) == 1


@pytest.mark.parametrize("redis_target", ["single"], indirect=True)
async def test_every_configured_model_is_picked_up_by_name(
    scorer_settings: Settings, redis: Any
) -> None:
    """A scorer configured with `enterprise` and `default` loads each one's live version;
    promoting the enterprise model's second version changes only the enterprise pair."""
    enterprise = msgspec.structs.replace(_model(0.5), name="enterprise")
    assert await publish(redis, _model(-1.0), shadow=False) == 1
    assert await publish(redis, enterprise, shadow=False) == 1
    assert (
        await publish(redis, msgspec.structs.replace(enterprise, intercept=0.7), shadow=True) == 2
    )
    names = ["enterprise", "default"]
    held = live_models()
    saved = (held.live, held.shadow, held.others)
    try:
        models = await live_module.refresh(redis, names=names, force=True)
        assert [(m.name, m.version) for m in models.pair("enterprise") if m] == [
            ("enterprise", 1),
            ("enterprise", 2),
        ]
        await model_promote(scorer_settings, 2, "enterprise")
        models = await live_module.refresh(redis, names=names, force=True)
        live, _ = models.pair("enterprise")
        assert live is not None and live.version == 2
        default, _ = models.pair("default")
        assert default is not None and (default.name, default.version) == ("default", 1)
    finally:
        held.live, held.shadow, held.others = saved
