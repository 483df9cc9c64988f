"""Destinations come from LP_* settings (trusted) and the config (guarded, with secrets)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from leadpulse.kernel.config import ConfigError, default_config_path, load_config
from leadpulse.kernel.config.routing import Destination, RoutingConfig
from leadpulse.kernel.settings import Settings, read_named_secrets
from router.destinations import build_targets
from tests.conftest import WEBHOOK_SECRET


def _settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def test_defaults_are_trusted_and_rotation_secrets_split() -> None:
    """LP_WEBHOOK_URL and LP_SLACK_WEBHOOK_URL become trusted default destinations."""
    settings = _settings(
        webhook_url="http://127.0.0.1:8000/inbox/hooks",
        webhook_secret=SecretStr(f"{WEBHOOK_SECRET} whsec_b3RoZXI="),
        slack_webhook_url="http://127.0.0.1:9/slack",
    )
    hook, slack = build_targets(settings, RoutingConfig(), {})
    assert (hook.name, hook.kind, hook.trusted, len(hook.secrets)) == (
        "default_webhook",
        "webhook",
        True,
        2,
    )
    assert (slack.name, slack.kind, slack.trusted) == ("default_slack", "slack", True)
    assert not hook.needs_guard


def test_config_destination_missing_its_secret_names_the_field() -> None:
    """A secret_env that is not set fails start-up naming the config field."""
    routing = RoutingConfig(
        destinations=[
            Destination(
                name="crm", type="webhook", url="https://crm.example/h", secret_env="LP_CRM"
            )
        ]
    )
    with pytest.raises(ValueError, match=r"routing\.destinations\.0\.secret_env: LP_CRM"):
        build_targets(_settings(), routing, {})


def test_config_destination_is_guarded_and_signed() -> None:
    """A config webhook gets its secret from the named LP_* variable and is SSRF-guarded."""
    routing = RoutingConfig(
        destinations=[
            Destination(
                name="crm", type="webhook", url="https://crm.example/h", secret_env="LP_CRM"
            )
        ]
    )
    secrets = read_named_secrets(["LP_CRM", "HOME"], {"LP_CRM": WEBHOOK_SECRET, "HOME": "/root"})
    assert set(secrets) == {"LP_CRM"}
    [target] = build_targets(_settings(), routing, secrets)
    assert target.secrets == (WEBHOOK_SECRET,)
    assert target.needs_guard


def test_secret_env_must_name_an_lp_variable(tmp_path: Path) -> None:
    """check-config refuses a secret_env outside LP_*, naming the field."""
    default = default_config_path()
    text = default.read_text(encoding="utf-8").replace(
        "  destinations: []",
        "  destinations:\n    - {name: crm, type: webhook, url: 'https://crm.example/h', "
        "secret_env: HOME}",
    )
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"routing\.destinations\.0\.secret_env"):
        load_config(path)
