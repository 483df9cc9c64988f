"""`leadpulse check-config` names bad fields of the CRM outcome maps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from leadpulse.cli.main import app
from leadpulse.kernel.config import default_config_path

runner = CliRunner()


@pytest.mark.parametrize(
    ("crm_inbound", "named"),
    [
        (
            {"hubspot": {"deal_stages": {"closedwon": "victory"}}},
            "crm.inbound.hubspot.deal_stages.closedwon",
        ),
        ({"hubspot": {"lifecycle_stages": {"": "won"}}}, "crm.inbound.hubspot.lifecycle_stages"),
        (
            {"hubspot": {"resolve_timeout_seconds": 30}},
            "crm.inbound.hubspot.resolve_timeout_seconds",
        ),
        (
            {"salesforce": {"lead_statuses": {"Open": "maybe"}}},
            "crm.inbound.salesforce.lead_statuses.Open",
        ),
        (
            {"salesforce": {"email_fields": {"Account": ["Email"]}}},
            "crm.inbound.salesforce.email_fields.Account",
        ),
        (
            {"salesforce": {"email_fields": {"Lead": ["E-mail"]}}},
            "crm.inbound.salesforce.email_fields.Lead.0",
        ),
        ({"salesforce": {"lead_id_feild": "X"}}, "crm.inbound.salesforce.lead_id_feild"),
    ],
    ids=[
        "unknown-outcome",
        "empty-stage",
        "timeout-past-hubspot",
        "unknown-lead-outcome",
        "unknown-object",
        "bad-field-name",
        "misspelt-key",
    ],
)
def test_bad_crm_inbound_field_is_named(
    tmp_path: Path, crm_inbound: dict[str, Any], named: str
) -> None:
    """Each mistake is reported with the path of the field that holds it."""
    config = yaml.safe_load(default_config_path().read_text())
    config["crm"]["inbound"] = crm_inbound
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    result = runner.invoke(app, ["check-config", str(path)])
    assert result.exit_code == 2
    assert named in result.output.replace("\n", " ")
