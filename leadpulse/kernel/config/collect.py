"""Config of the collection edge: the site, consent, limits, noise detection."""

from __future__ import annotations

from pydantic import Field

from leadpulse.kernel.config._base import ConfigModel

__all__ = ["CollectConfig", "ScannerConfig", "SiteConfig"]


class SiteConfig(ConfigModel):
    home_url: str = Field(
        default="http://127.0.0.1:8000/demo/",
        description="where a bad or expired click token lands: the site's own home page",
    )
    origins: list[str] = Field(
        default_factory=lambda: ["http://127.0.0.1:8000", "http://localhost:8000"],
        description="origins whose pages may post beacons (CORS)",
    )
    honor_do_not_track: bool = True
    honor_global_privacy_control: bool = True
    cookie_days: int = Field(default=395, ge=1, le=730)


class ScannerConfig(ConfigModel):
    """When an email open or click is a security scanner, not a person."""

    min_seconds_after_send: float = Field(default=10, ge=0)
    min_seconds_after_open: float = Field(default=2, ge=0)
    burst_links: int = Field(default=3, ge=2, description="distinct links of one email clicked...")
    burst_seconds: float = Field(default=5, gt=0, description="...within this many seconds")
    user_agents: list[str] = Field(
        default_factory=lambda: [
            "barracuda",
            "mimecast",
            "proofpoint",
            "symantec",
            "messagelabs",
            "safelinks",
            "forcepoint",
            "trendmicro",
            "ironport",
            "googleimageproxy",
            "yahoomailproxy",
        ],
        description="substrings (lower case) of known scanner or mail-proxy user agents",
    )


class CollectConfig(ConfigModel):
    max_event_bytes: int = Field(default=32 * 1024, ge=1024)
    max_batch_bytes: int = Field(default=500 * 1024, ge=1024)
    max_clock_skew_days: int = Field(default=30, ge=0)
    link_expiry_days: int = Field(default=365, ge=1)
    scanner: ScannerConfig = ScannerConfig()
