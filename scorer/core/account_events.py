"""A person's event and their account: joining it, telling its partition, a lost deal's returns.

An event of a person in an account is decided on the person's partition; what the account
must know travels as a message keyed `account:<id>` to the account's partition
(`account_message`), which the account handlers apply (`scorer.handlers.account_info`,
`account_touch`, `account_returns`). `absorb_account` joins the account a `group` names or
the one the directory knows the lead's by; `notify_lost` and `notify_visit` tell the
account of a lost deal and of a visit after one; `came_back` counts visits against the
return window (the lead's own lost deal, and the account's).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadpulse.kernel import messages
from leadpulse.kernel.messages import AccountLost, AccountVisit
from leadpulse.kernel.schema import Identity
from scorer.core.accounts import account_traits
from scorer.core.alerts import lead_summary_data
from scorer.core.config import Rules
from scorer.core.decay import DAY
from scorer.core.effects import EffectLog, LeaveAccount, Outbound, Publish
from scorer.core.facts import EventFacts
from scorer.core.state import NEVER, LeadState

__all__ = [
    "absorb_account",
    "account_key",
    "account_message",
    "came_back",
    "notify_lost",
    "notify_visit",
]


def account_key(value: str) -> str:
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
        account = state.account = account_key(facts.account_id)
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
            state.account_traits, state.account_at = {}, NEVER
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
    log.add(Publish(account_message(f"acctinfo:{facts.event_id}", facts.t, told)))


def account_message(
    event_id: str,
    t: float,
    message: messages.AccountTouch | messages.AccountInfo | AccountLost | AccountVisit,
) -> Outbound:
    """A message for the account's own partition (keyed `account:<id>`)."""
    value = messages.encode(message, event_id, Identity(), t)
    return Outbound(event_id, "events", f"account:{message.account}", value)


def notify_lost(log: EffectLog, state: LeadState, facts: EventFacts) -> None:
    """This person's deal was lost: tell the account's partition."""
    if not state.account:
        return
    lost = AccountLost(account=state.account, lead_id=state.lead_id, at=facts.t)
    event_id = f"acct-lost:{facts.event_id}:{state.lead_id}"
    log.add(Publish(account_message(event_id, facts.t, lost)))


def notify_visit(
    log: EffectLog,
    lost_accounts: Mapping[str, float],
    state: LeadState,
    rules: Rules,
    facts: EventFacts,
) -> None:
    """A page view by a person of an account that lost a deal: tell the account's partition."""
    lost_at = lost_accounts.get(state.account or "")
    if lost_at is None or facts.t < lost_at or not facts.is_page or facts.noise:
        return
    assert state.account is not None
    visit = AccountVisit(
        account=state.account,
        lead_id=state.lead_id,
        at=facts.t,
        lead=lead_summary_data(state, rules.compiled.models, facts.t),
    )
    event_id = f"acct-visit:{facts.event_id}:{state.lead_id}"
    log.add(Publish(account_message(event_id, facts.t, visit)))


def came_back(visits: list[float], at: float, needed: int, days: float) -> tuple[list[float], bool]:
    """`visits` and one more at `at`, in time order (the latest 50), and whether `needed` of
    them fall within `days`: a visit that comes late counts with the visits around it."""
    kept = sorted([*visits, at])[-50:]
    span = days * DAY
    back = any(kept[i + needed - 1] - kept[i] <= span for i in range(len(kept) - needed + 1))
    return kept, back
