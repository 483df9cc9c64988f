"""An account as `group` calls describe it, and the traits its leads' fit rules see: pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from scorer.core.rules import email_domain
from scorer.core.state import LeadState

__all__ = ["FIT_NAMES", "AccountInfo", "account_traits", "fit_traits", "normalize_domain"]

# group trait -> the trait name fit rules read it as
FIT_NAMES = {"name": "company", "industry": "industry", "employees": "company_size", "plan": "plan"}
_TEXT_MAX = 200


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """An account as the directory knows it: its id, its traits, when they last changed."""

    account: str
    traits: Mapping[str, Any]
    at: float


def normalize_domain(value: Any) -> str | None:
    """`https://www.Acme.example/about` -> `acme.example`; None when it is no domain."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().lower()
    host = urlsplit(text if "//" in text else f"//{text}").hostname
    if not host or "." not in host:
        return None
    return host.removeprefix("www.")


def account_traits(traits: Mapping[str, Any]) -> dict[str, Any]:
    """The account traits a `group` call carries, checked: scalars only, text cut short."""
    out: dict[str, Any] = {}
    domain = normalize_domain(traits.get("domain")) or normalize_domain(traits.get("website"))
    if domain:
        out["domain"] = domain
    for name in FIT_NAMES:
        value = traits.get(name)
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int | float):
            out[name] = value
        elif isinstance(value, str) and value.strip():
            out[name] = value.strip()[:_TEXT_MAX]
    return out


def fit_traits(state: LeadState) -> Mapping[str, Any]:
    """The traits fit rules see: the lead's own, the account's over them."""
    merged = dict(state.traits)
    for name, fit_name in FIT_NAMES.items():
        if name in state.account_traits:
            merged[fit_name] = state.account_traits[name]
    domain = state.account_traits.get("domain") or email_domain(state.email)
    if domain:
        merged["account_domain"] = domain
    if state.account:
        merged["account"] = state.account
    return merged
