"""The scorer's connected parts: started once, stopped any number of times."""

from __future__ import annotations

import pytest

from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.errors import AlreadyStarted
from leadpulse.kernel.settings import Settings
from scorer.runtime.service import ScorerParts


async def test_scorer_parts_start_once_and_stop_any_number_of_times(
    scorer_settings: Settings, config: LeadPulseConfig
) -> None:
    """Starting the scorer's parts twice raises; stopping them twice is a no-op."""
    parts = ScorerParts(scorer_settings, config)
    await parts.start()
    try:
        assert await parts.loop.redis.ping()
        with pytest.raises(AlreadyStarted):
            await parts.start()
    finally:
        await parts.stop()
    await parts.stop()
    assert not parts.started
