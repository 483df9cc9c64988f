"""The facts of one event the pure scoring logic needs, extracted once from the envelope."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from leadpulse.kernel.schema import canonical_email
from leadpulse.kernel.wire import Envelope

__all__ = ["EventFacts", "facts_of"]


_EMPTY: Mapping[str, Any] = MappingProxyType({})


class EventFacts(NamedTuple):
    """Immutable; a NamedTuple because one is built per event (no per-field setattr)."""

    event_id: str
    kind: str
    name: str | None
    t: float
    url: str | None = None
    path: str | None = None
    properties: Mapping[str, str] = _EMPTY
    traits: Mapping[str, Any] = _EMPTY
    email: str | None = None
    utm_source: str | None = None
    utm_campaign: str | None = None
    noise: bool = False
    noise_reason: str | None = None
    verified: bool = False
    owner: str | None = None
    account_id: str | None = None
    title: str | None = None
    # a `group`'s traits: the account's, not the person's
    group_traits: Mapping[str, Any] = _EMPTY
    # the event itself names a known person (an email, a user or CRM id), whatever the lead
    # it reaches already knows: a stage walk decides "identified" from these, in time order
    names_person: bool = False

    @property
    def is_page(self) -> bool:
        return self.kind == "page"


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    return str(value)


def facts_of(event: Envelope) -> EventFacts:
    props = event.properties
    url = event.context.url or _text(props.get("url"))
    path = event.context.path or _text(props.get("path"))
    if path is None and url:
        path = urlsplit(url).path or "/"
    campaign = event.context.campaign
    group = event.type == "group"
    ident = event.identity
    email = None if group else event.identity.email or _text(event.traits.get("email"))
    return EventFacts(
        event_id=event.event_id,
        kind=event.type,
        name=event.event,
        t=event.timestamp.timestamp(),
        url=url,
        path=path,
        properties={k: s for k, v in props.items() if (s := _text(v)) is not None},
        traits=_EMPTY if group else dict(event.traits),
        email=canonical_email(email) if email else None,
        utm_source=campaign.source or _text(props.get("utm_source")),
        utm_campaign=campaign.name or _text(props.get("utm_campaign")),
        noise=event.flags.is_noise,
        noise_reason=event.flags.noise_reason,
        verified=event.flags.identity_trust == "verified",
        owner=_text(props.get("owner")),
        account_id=event.group_id
        if group
        else _text(props.get("account_id")) or _text(event.traits.get("account_id")),
        title=event.context.title,
        group_traits=event.traits if group else _EMPTY,
        names_person=bool(email or ident.user_id or ident.email or ident.crm_lead_id),
    )
