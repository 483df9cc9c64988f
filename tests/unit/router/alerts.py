"""The golden alert, for the router's unit tests."""

from __future__ import annotations

from pathlib import Path

import orjson

from leadpulse.kernel.schema import Alert

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "alert.json"


def golden_alert() -> Alert:
    return Alert.model_validate(orjson.loads(GOLDEN.read_bytes()))
