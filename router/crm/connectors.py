"""The CRM connectors one router writes to, built once at start-up from the config's
`routing.destinations` of type `hubspot` (token and base URL from LP_HUBSPOT_* or the
destination's own `secret_env` and `url`)."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import SecretStr

from leadpulse.config import LeadPulseConfig
from leadpulse.settings import Settings
from router.crm.hubspot import HubSpotConnector
from router.crm.types import Connector

__all__ = ["build_connectors", "token_names"]


def token_names(config: LeadPulseConfig) -> list[str]:
    """The LP_* variables CRM destinations name for their tokens (read at start-up)."""
    return [
        d.secret_env
        for d in config.routing.destinations
        if d.type == "hubspot" and d.secret_env is not None
    ]


def build_connectors(
    settings: Settings, config: LeadPulseConfig, named_secrets: Mapping[str, SecretStr]
) -> list[Connector]:
    """Every CRM connector; raise ValueError naming a missing token."""
    connectors: list[Connector] = []
    for n, dest in enumerate(config.routing.destinations):
        if dest.type != "hubspot":
            continue
        where = f"routing.destinations.{n}"
        if dest.secret_env is not None:
            secret = named_secrets.get(dest.secret_env)
            if secret is None:
                raise ValueError(f"{where}.secret_env: {dest.secret_env} is not set")
        else:
            secret = settings.hubspot_token
            if secret is None:
                raise ValueError(f"{where}: LP_HUBSPOT_TOKEN is not set")
        connectors.append(
            HubSpotConnector(
                dest.name,
                secret.get_secret_value(),
                dest.url or settings.hubspot_base_url,
                config.crm.hubspot,
                settings.base_url,
                config.crm.hubspot.retry,
            )
        )
    return connectors
