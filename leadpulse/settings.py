"""Addresses and secrets from `LP_*` environment variables: one object, built at start-up.

Business code never reads `os.environ`; it is handed a `Settings`.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from leadpulse.schema import TopicNames

__all__ = ["Settings", "generate_missing_keys"]


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
    scorer_group: str = "leadpulse-scorer"
    router_group: str = "leadpulse-router"

    redis_url: str | None = None
    redis_cluster: bool = False

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
    session_secret: SecretStr | None = None
    # `leadpulse dev` serves the local alert inbox (/inbox) from the ingest process.
    dev_inbox: bool = False

    log_format: Literal["json", "console"] = "json"
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @property
    def topics(self) -> TopicNames:
        return TopicNames(events=self.topic_events, alerts=self.topic_alerts, dlq=self.topic_dlq)

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


def generate_missing_keys(settings: Settings) -> tuple[Settings, dict[str, str]]:
    """Fill unset keys with fresh random ones (for `leadpulse dev`); return what was made."""
    made: dict[str, str] = {}
    wanted: dict[str, Callable[[], str]] = {
        "write_key": lambda: "wk_" + secrets.token_urlsafe(18),
        "secret_key": lambda: "sk_" + secrets.token_urlsafe(24),
        "token_secret": lambda: secrets.token_urlsafe(32),
        "session_secret": lambda: secrets.token_urlsafe(32),
        "webhook_secret": lambda: "whsec_" + _b64_key(),
    }
    for name, make in wanted.items():
        if getattr(settings, name) is None:
            made[name] = make()
    updates = {name: SecretStr(value) for name, value in made.items()}
    return settings.model_copy(update=updates), made


def _b64_key() -> str:
    return base64.b64encode(secrets.token_bytes(24)).decode()
