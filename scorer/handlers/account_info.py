"""Accounts made real by Segment's `group(groupId, traits)`: who belongs, what the account is.

A `group` event is applied on its person's partition: the lead joins the account `groupId`
and keeps the account's traits (`name`, `domain` or `website`, `industry`, `employees`,
`plan`). Those feed the lead's fit rules as `company`, `industry`, `company_size`, `plan`
and `account_domain` (account facts win over what a person typed in a form, so every lead
of an account fits alike). The person's partition then tells the account's partition
(keyed `account:<id>`), which records the account in its `accts` hash under its id and its
domain (one account known both ways) and notes the change in `acctv`.

Every scorer reads those changes on its tick (`scorer.read.accounts.AccountDirectory`), so a
lead of the account seen later (say, a colleague whose email domain is the account's website)
is moved onto the account and fits by its traits on that lead's next event.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import orjson

from leadpulse.kernel import messages
from leadpulse.kernel.schema import Identity
from scorer.core.accounts import account_traits
from scorer.core.effects import EffectLog, Effects, LeaveAccount, Outbound, Publish, RecordAccount
from scorer.core.facts import EventFacts
from scorer.core.state import LeadState

__all__ = ["absorb_account", "on_account_info"]


def _account_id(value: str) -> str:
    return value.strip().lower()


def absorb_account(
    log: EffectLog,
    accounts: Mapping[str, Any],
    state: LeadState,
    facts: EventFacts,
    before: str | None,
) -> bool:
    """Join the account a `group` names, or the one the directory knows this lead's by;
    True when the lead's account or account traits changed (its fit must be refreshed)."""
    was = (state.account, dict(state.account_traits))  # `before`: the account before the event
    if facts.kind == "group" and facts.account_id:
        account = state.account = _account_id(facts.account_id)
        known = accounts.get(account)
        base = dict(known.traits) if known is not None else {}
        if before == account:
            base |= state.account_traits
        state.account_traits = base | account_traits(facts.group_traits)
        state.account_at = facts.t
        if state.account_traits != was[1] or known is None:
            _tell_account(log, state, facts)
    elif state.account:
        if state.account != before:
            # another account named by the event (account_id): the old traits are not its
            state.account_traits, state.account_at = {}, 0.0
        known = accounts.get(state.account)
        if known is not None and (known.at > state.account_at or known.account != state.account):
            state.account = known.account
            state.account_traits = dict(known.traits)
            state.account_at = known.at
    if before and before != state.account:
        log.add(LeaveAccount(before, state.lead_id))
    return (state.account, state.account_traits) != (before, was[1])


def _tell_account(log: EffectLog, state: LeadState, facts: EventFacts) -> None:
    assert state.account is not None
    told = messages.AccountInfo(account=state.account, info=state.account_traits, at=facts.t)
    event_id = f"acctinfo:{facts.event_id}"
    value = messages.encode(told, event_id, Identity(), facts.t)
    log.add(Publish(Outbound(event_id, "events", f"account:{state.account}", value)))


def on_account_info(told: messages.AccountInfo) -> Effects:
    """On the account's partition: record the account under its id and its domain."""
    account = _account_id(told.account)
    info = told.info
    if not account:
        return Effects()
    at = told.at
    record = orjson.dumps({"account": account, "traits": info, "at": at})
    names = [account]
    domain = info.get("domain")
    if isinstance(domain, str) and domain and domain != account:
        names.append(domain)
    # The change time, not the event's: the tick reads changes since its last read.
    return Effects((RecordAccount(tuple(names), record, time.time()),))
