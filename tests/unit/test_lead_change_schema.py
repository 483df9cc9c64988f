"""The lead-change messages (scorer -> CRM connectors): golden samples round-trip."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from leadpulse.kernel.lead_change import CrmDeadLetter, LeadChange
from leadpulse.kernel.schema import decode, encode

GOLDEN = Path(__file__).parent.parent / "golden"


@pytest.mark.parametrize(
    ("name", "model"),
    [("lead_change.json", LeadChange), ("crm_dead_letter.json", CrmDeadLetter)],
    ids=["lead_change", "crm_dead_letter"],
)
def test_golden_sample_round_trips(name: str, model: type[LeadChange | CrmDeadLetter]) -> None:
    """A golden sample decodes and encodes back to the same JSON."""
    raw = (GOLDEN / name).read_bytes()
    assert orjson.loads(encode(decode(model, raw))) == orjson.loads(raw)


def test_reasons_read_as_crm_text() -> None:
    """The top reasons become one line a CRM text field shows."""
    change = decode(LeadChange, (GOLDEN / "lead_change.json").read_bytes())
    assert change.reasons_text == "demo_requested +50; senior_title +15; pricing_page +10"
