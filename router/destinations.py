"""The destinations one router delivers to, resolved once at start-up.

Built from the operator's LP_WEBHOOK_URL / LP_SLACK_WEBHOOK_URL (trusted as given) and the
config's `routing.destinations` (checked by the SSRF guard before every attempt).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from pydantic import SecretStr

from leadpulse.kernel.config.routing import RoutingConfig
from leadpulse.kernel.settings import Settings
from router.signing import split_secrets

__all__ = ["DEFAULT_SLACK", "DEFAULT_WEBHOOK", "Target", "build_targets"]

DEFAULT_WEBHOOK = "default_webhook"
DEFAULT_SLACK = "default_slack"


@dataclass(frozen=True)
class Target:
    """One place alerts go. `secrets` sign webhooks (two during a rotation)."""

    name: str
    kind: Literal["webhook", "slack"]
    url: str = field(repr=False)
    secrets: tuple[str, ...] = field(default=(), repr=False)
    trusted: bool = False
    allow_private: bool = False

    @property
    def needs_guard(self) -> bool:
        return not self.trusted and not self.allow_private


def build_targets(
    settings: Settings, routing: RoutingConfig, named_secrets: Mapping[str, SecretStr]
) -> list[Target]:
    """Every destination, defaults first; raise ValueError naming what is missing.

    `named_secrets` holds the values of the LP_* variables that `secret_env` fields name,
    read by the composition at start-up (see `leadpulse.kernel.settings.read_named_secrets`).
    """
    targets: list[Target] = []
    if settings.webhook_url:
        secret = settings.require_secret("webhook_secret")
        targets.append(
            Target(
                DEFAULT_WEBHOOK,
                "webhook",
                settings.webhook_url,
                tuple(split_secrets(secret)),
                trusted=True,
            )
        )
    if settings.slack_webhook_url:
        targets.append(Target(DEFAULT_SLACK, "slack", settings.slack_webhook_url, trusted=True))
    for n, dest in enumerate(routing.destinations):
        if dest.type == "hubspot" or dest.type == "salesforce":
            continue  # CRM connectors take lead changes (router.crm), not alerts
        secrets: tuple[str, ...] = ()
        if dest.secret_env is not None:
            value = named_secrets.get(dest.secret_env)
            if value is None:
                raise ValueError(
                    f"routing.destinations.{n}.secret_env: {dest.secret_env} is not set"
                )
            secrets = tuple(split_secrets(value.get_secret_value()))
        if dest.type == "webhook" and not secrets:
            raise ValueError(
                f"routing.destinations.{n}.secret_env: webhook {dest.name!r} needs a secret"
            )
        targets.append(
            Target(dest.name, dest.type, dest.url, secrets, allow_private=dest.allow_private)
        )
    return targets
