"""The CRM connectors one router writes to, built once at start-up from the config's
`routing.destinations` of type `hubspot` (token and base URL from LP_HUBSPOT_* or the
destination's own `secret_env` and `url`) and `salesforce` (LP_SALESFORCE_*)."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import SecretStr

from leadpulse.kernel.config import LeadPulseConfig
from leadpulse.kernel.config.routing import Destination
from leadpulse.kernel.settings import Settings
from router.crm.hubspot import HubSpotConnector
from router.crm.salesforce import SalesforceConnector
from router.crm.salesforce_api import SalesforceSession
from router.crm.types import Connector

__all__ = ["build_connectors", "token_names"]


def token_names(config: LeadPulseConfig) -> list[str]:
    """The LP_* variables CRM destinations name for their secrets (read at start-up)."""
    return [
        d.secret_env
        for d in config.routing.destinations
        if d.type in ("hubspot", "salesforce") and d.secret_env is not None
    ]


def _salesforce(
    settings: Settings,
    config: LeadPulseConfig,
    dest: Destination,
    named_secrets: Mapping[str, SecretStr],
    where: str,
) -> Connector:
    """Client id from LP_SALESFORCE_CLIENT_ID; its secret from LP_SALESFORCE_CLIENT_SECRET
    or the destination's `secret_env`; the login URL from LP_SALESFORCE_LOGIN_URL or `url`."""
    secret = (
        named_secrets.get(dest.secret_env) if dest.secret_env else settings.salesforce_client_secret
    )
    if secret is None:
        raise ValueError(f"{where}: LP_SALESFORCE_CLIENT_SECRET is not set")
    if not settings.salesforce_client_id:
        raise ValueError(f"{where}: LP_SALESFORCE_CLIENT_ID is not set")
    sf = config.crm.salesforce
    session = SalesforceSession(
        dest.url or settings.salesforce_login_url,
        settings.salesforce_client_id,
        secret.get_secret_value(),
        sf.api_version,
        (sf.retry.connect_timeout_seconds, sf.retry.read_timeout_seconds),
    )
    return SalesforceConnector(dest.name, session, sf, settings.base_url)


def build_connectors(
    settings: Settings, config: LeadPulseConfig, named_secrets: Mapping[str, SecretStr]
) -> list[Connector]:
    """Every CRM connector; raise ValueError naming a missing token."""
    connectors: list[Connector] = []
    for n, dest in enumerate(config.routing.destinations):
        where = f"routing.destinations.{n}"
        if dest.type == "salesforce":
            connectors.append(_salesforce(settings, config, dest, named_secrets, where))
            continue
        if dest.type != "hubspot":
            continue
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
