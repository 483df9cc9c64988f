"""Accounts from `group`: traits checked, fed to fit, told to the account's partition, and
found again by id or domain (pure paths, in-memory partition views)."""

from __future__ import annotations

from typing import Any

import msgspec
import orjson
import pytest

from leadpulse.kernel import messages
from leadpulse.kernel.config import load_config
from leadpulse.kernel.wire import Envelope, read_envelope
from scorer.core.accounts import AccountInfo, account_traits, normalize_domain
from scorer.core.config import Rules
from scorer.handlers.dispatch import apply_message
from scorer.storage.keys import PartitionKeys
from scorer.storage.view import PartitionView
from tests.unit.scorer.events import at, envelope, identify, track

RULES = Rules.from_config(load_config().scoring)
ACME = {"name": "Acme Co", "website": "https://www.Acme.example/about", "employees": 800}


def _apply(view: PartitionView, *events: Envelope) -> None:
    for offset, event in enumerate(events, start=view.stored_offset + 1):
        apply_message(view, RULES, event.key, offset, event)
        view.stored_offset = offset


def _group(account: str, traits: dict[str, Any], **kw: Any) -> Envelope:
    event = envelope("group", traits=traits, **kw)
    return msgspec.structs.replace(event, group_id=account)


def _fit(view: PartitionView, email: str) -> dict[str, float]:
    lead = view.leads[view.identities[f"email:{email}"]]
    assert lead is not None
    return lead.models[RULES.compiled.models[0].name].fit


@pytest.mark.parametrize(
    ("given", "domain"),
    [
        ("https://www.Acme.example/about", "acme.example"),
        ("acme.example", "acme.example"),
        ("http://shop.acme.example:8080", "shop.acme.example"),
        ("localhost", None),
        ("", None),
        (42, None),
    ],
)
def test_a_website_or_domain_becomes_a_bare_domain(given: object, domain: str | None) -> None:
    assert normalize_domain(given) == domain


def test_only_the_account_traits_are_kept() -> None:
    """name, domain/website, industry, employees, plan; scalars only; no booleans."""
    traits = {**ACME, "industry": " Software ", "plan": True, "address": {"city": "X"}}
    assert account_traits(traits) == {
        "domain": "acme.example",
        "name": "Acme Co",
        "industry": "Software",
        "employees": 800,
    }


def test_group_puts_the_lead_on_the_account_and_its_traits_into_fit() -> None:
    """employees and industry fit as company_size and industry; the account's name does
    not become the person's; the account's partition is told."""
    view = PartitionView(PartitionKeys(0), -1)
    traits = {**ACME, "industry": "Manufacturing"}
    _apply(
        view,
        identify(email="dana@acme.example", traits={"name": "Dana"}),
        _group("Acme-Co", traits, email="dana@acme.example", when=at(1)),
    )
    lead = view.leads[view.identities["email:dana@acme.example"]]
    assert lead is not None
    assert lead.account == "acme-co"
    assert lead.traits["name"] == "Dana"
    assert _fit(view, "dana@acme.example") == {
        "company_size_fit": 15.0,
        "target_industry": 10.0,
    }
    [told] = [m for m in view.outbound if m.key == "account:acme-co"]
    info = messages.decode(read_envelope(told.value))
    assert isinstance(info, messages.AccountInfo) and info.info["domain"] == "acme.example"

    account_side = PartitionView(PartitionKeys(1), -1)
    ws, _ = apply_message(account_side, RULES, told.key, 0, read_envelope(told.value))
    keys, ops = ws.ops()
    assert {account_side.pk.accounts, account_side.pk.account_changes} <= set(keys)
    # Recorded under its id and its domain: one account, known both ways.
    written = orjson.dumps(ops, default=bytes.decode).decode()  # values may be bytes
    assert '"acme-co"' in written and '"acme.example"' in written
    mql = track(email="dana@acme.example", event="Demo Requested", when=at(2))
    _apply(view, mql)
    [alert] = [m for m in view.outbound if m.topic == "alerts"]
    lead_in_alert = orjson.loads(alert.value)["lead"]
    assert lead_in_alert["account"] == "acme-co"
    assert lead_in_alert["account_traits"]["employees"] == 800


def test_a_colleague_from_the_domain_joins_the_account_the_directory_knows() -> None:
    """A lead whose account is its email domain moves onto the account that domain names,
    and fits by its traits; a lead naming another account by account_id leaves them."""
    info = AccountInfo("acme-co", {"domain": "acme.example", "employees": 800}, at(0).timestamp())
    view = PartitionView(PartitionKeys(0), -1, accounts={"acme-co": info, "acme.example": info})
    _apply(view, identify(email="sam@acme.example", when=at(1)))
    assert view.leads[view.identities["email:sam@acme.example"]].account == "acme-co"  # type: ignore[union-attr]
    assert _fit(view, "sam@acme.example") == {"company_size_fit": 15.0}
    moved = track(
        email="sam@acme.example", event="Signed Up", properties={"account_id": "other"}, when=at(2)
    )
    _apply(view, moved)
    lead = view.leads[view.identities["email:sam@acme.example"]]
    assert lead is not None and lead.account == "other" and lead.account_traits == {}
    assert _fit(view, "sam@acme.example") == {}
