"""`leadpulse check-config` names every bad CRM connector field."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from leadpulse.cli.main import app
from leadpulse.kernel.config import default_config_path

runner = CliRunner()


def test_every_bad_crm_field_is_named(tmp_path: Path) -> None:
    """Bad step, rate, batch size, lifecycle mode and stage map, and a CRM route: all named."""
    raw = yaml.safe_load(default_config_path().read_text())
    raw["routing"]["destinations"] = [
        {"name": "hubspot", "type": "hubspot"},
        {"name": "hooks", "type": "webhook"},
    ]
    raw["routing"]["routes"] = [{"alerts": ["mql"], "destinations": ["hubspot"]}]
    raw["crm"] = {
        "score_step": 0,
        "hubspot": {
            "requests_per_window": 0,
            "batch_size": 101,
            "lifecycle": "backwards",
            "lifecycle_map": {"mql": "hot", "limbo": "lead"},
        },
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    result = runner.invoke(app, ["check-config", str(path)])
    assert result.exit_code == 2
    out = " ".join(result.output.split())
    for field in (
        "crm.score_step",
        "crm.hubspot.requests_per_window",
        "crm.hubspot.batch_size",
        "crm.hubspot.lifecycle",
        "crm.hubspot.lifecycle_map.mql",
        "crm.hubspot.lifecycle_map.limbo",
    ):
        assert field in out, field


def test_crm_destinations_take_no_routes_and_webhooks_need_a_url(tmp_path: Path) -> None:
    """A route to a CRM connector, and a webhook without a URL, are named."""
    raw = yaml.safe_load(default_config_path().read_text())
    raw["routing"]["destinations"] = [
        {"name": "hubspot", "type": "hubspot"},
        {"name": "hooks", "type": "webhook"},
    ]
    raw["routing"]["routes"] = [{"alerts": ["mql"], "destinations": ["hubspot"]}]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    result = runner.invoke(app, ["check-config", str(path)])
    assert result.exit_code == 2
    out = " ".join(result.output.split())
    assert "routing.routes.0.destinations.0" in out and "CRM connector" in out
    assert "routing.destinations.1.url" in out
