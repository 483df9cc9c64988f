"""Addresses and secrets from `LP_*` environment variables: one object, built at start-up.

Business code never reads `os.environ`; it is handed a `Settings`.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from leadpulse.kernel.schema import TopicNames

__all__ = ["Settings", "generate_missing_keys", "read_named_secrets", "with_dev_keys"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LP_", frozen=True, extra="ignore")

    config: Path | None = Field(default=None, description="YAML config; default: packaged")

    kafka_bootstrap: str | None = None
    # Tansu (the embedded broker) has no idempotent producer; real Kafka does.
    kafka_idempotence: bool = False
    kafka_partitions: int = Field(default=6, ge=1, le=1024)
    kafka_replication: int = Field(default=1, ge=1, le=7)
    topic_events: str = "leadpulse.events"
    topic_alerts: str = "leadpulse.alerts"
    topic_dlq: str = "leadpulse.alerts.dlq"
    topic_lead_changes: str = "leadpulse.lead-changes"
    topic_crm_dlq: str = "leadpulse.lead-changes.dlq"
    topic_outcomes: str = "leadpulse.outcomes"
    topic_events_dlq: str = "leadpulse.events.dlq"
    scorer_group: str = "leadpulse-scorer"
    # Lead states a scorer keeps in memory between batches (a few KB each); 0 turns it off.
    scorer_lead_cache: int = Field(default=20_000, ge=0)
    # Failed steps in a row (Valkey or the broker away) before the scorer exits non-zero
    # for its supervisor to restart it: 20 is about 3 minutes of backing off.
    scorer_max_consecutive_failures: int = Field(default=20, ge=1)
    router_group: str = "leadpulse-router"
    # New predictive-score versions wait in shadow for `leadpulse model promote` (else live).
    predict_shadow: bool = False

    redis_url: str | None = None
    redis_cluster: bool = False
    # Connections one process opens to Valkey (per node on a cluster). Past it, a command
    # waits up to 10 s for a free one instead of failing.
    redis_max_connections: int = Field(default=100, ge=1)

    http_host: str = "127.0.0.1"
    http_port: int = 8000
    http_workers: int = 1
    public_url: str | None = Field(default=None, description="how the outside reaches ingest")
    data_dir: Path = Path(".leadpulse")
    spool_dir: Path | None = None
    spool_max_bytes: int = 256 * 1024 * 1024
    trusted_proxies: list[str] = Field(default_factory=list)

    scorer_health_port: int = 8001
    router_health_port: int = 8002

    write_key: SecretStr | None = None
    secret_key: SecretStr | None = None
    token_secret: SecretStr | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    slack_webhook_url: str | None = None
    inbound_secret: SecretStr | None = None
    # CRM: a HubSpot private-app token (connector writes, deal contacts read for webhooks),
    # the app's client secret (verifies X-HubSpot-Signature-v3); base URLs for tests.
    hubspot_token: SecretStr | None = None
    hubspot_client_secret: SecretStr | None = None
    hubspot_base_url: str = "https://api.hubapi.com"
    # Salesforce: a connected app's OAuth 2.0 client-credentials flow, at the org's login
    # URL; Outbound Messages come with the org's id and a secret in the URL.
    salesforce_login_url: str = "https://login.salesforce.com"
    salesforce_client_id: str | None = None
    salesforce_client_secret: SecretStr | None = None
    salesforce_org_id: str | None = None
    salesforce_outbound_secret: SecretStr | None = None
    session_secret: SecretStr | None = None
    # `leadpulse dev` serves the local alert inbox (/inbox) from the ingest process.
    dev_inbox: bool = False

    log_format: Literal["json", "console"] = "json"
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @property
    def topics(self) -> TopicNames:
        return TopicNames(
            events=self.topic_events,
            alerts=self.topic_alerts,
            dlq=self.topic_dlq,
            lead_changes=self.topic_lead_changes,
            crm_dlq=self.topic_crm_dlq,
            outcomes=self.topic_outcomes,
            events_dlq=self.topic_events_dlq,
        )

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.http_host}:{self.http_port}"

    @property
    def spool_path(self) -> Path:
        return self.spool_dir or self.data_dir / "spool"

    def require_secret(self, name: str) -> str:
        """The value of a secret setting, or a clear error naming the variable."""
        value = getattr(self, name)
        if value is None:
            raise ValueError(f"LP_{name.upper()} is not set")
        return str(value.get_secret_value())


def read_named_secrets(
    names: Iterable[str], environ: Mapping[str, str] | None = None
) -> dict[str, SecretStr]:
    """Values of the LP_* variables a config names (routing `secret_env`), read at start-up.

    Only LP_* names are read, so a config file cannot exfiltrate arbitrary environment.
    Unset names are left out; the caller reports them with the config field that named them.
    """
    source = os.environ if environ is None else environ
    return {
        name: SecretStr(source[name])
        for name in names
        if name.startswith("LP_") and source.get(name)
    }


_GENERATED = ("write_key", "secret_key", "token_secret", "session_secret", "webhook_secret")


def _dev_keys_file(settings: Settings) -> Path:
    return settings.data_dir / "dev-keys.json"


def with_dev_keys(settings: Settings) -> Settings:
    """Fill unset keys from the ones `leadpulse dev` generated for this data dir, if any."""
    path = _dev_keys_file(settings)
    if not path.exists():
        return settings
    stored = json.loads(path.read_text(encoding="utf-8"))
    updates = {
        name: SecretStr(stored[name])
        for name in _GENERATED
        if getattr(settings, name) is None and isinstance(stored.get(name), str)
    }
    return settings.model_copy(update=updates)


def generate_missing_keys(settings: Settings) -> tuple[Settings, dict[str, str]]:
    """Fill unset keys for `leadpulse dev`: reuse the data dir's, make the rest, save them.

    Keeping them across restarts means click links minted yesterday still verify and the
    dashboard login does not change under a person. The file is readable by its owner only.
    """
    settings = with_dev_keys(settings)
    makers: dict[str, Callable[[], str]] = {
        "write_key": lambda: "wk_" + secrets.token_urlsafe(18),
        "secret_key": lambda: "sk_" + secrets.token_urlsafe(24),
        "token_secret": lambda: secrets.token_urlsafe(32),
        "session_secret": lambda: secrets.token_urlsafe(32),
        "webhook_secret": lambda: "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode(),
    }
    made = {name: make() for name, make in makers.items() if getattr(settings, name) is None}
    if made:
        path = _dev_keys_file(settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        stored = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        stored.update(made)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(stored, handle, indent=2)
    updates = {name: SecretStr(value) for name, value in made.items()}
    return settings.model_copy(update=updates), made
