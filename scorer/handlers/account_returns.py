"""A lost deal at an account, and its people coming back: lost_deal_returned for accounts.

The person who lost the deal raises the lead's own alert when they return (`event`).
This is the account's: after a CRM `lost` on one person of an account, N page visits in D
days by *other* people of that account raise one alert for the account, once per loss.

Flow, never a cross-partition write: the lost lead's partition sends an `AccountLost`
keyed `account:<id>`; the account's partition records the loss in its `lost` hash. Every
scorer reads the lost accounts on its tick (`scorer.read.accounts.read_lost_accounts`, a few
seconds stale at most) and, for a page view by a person of such an account, sends an
`AccountVisit`; the account's partition counts them against the loss.
"""

from __future__ import annotations

from collections.abc import Mapping

from leadpulse.kernel import messages
from leadpulse.kernel.domain import AlertType
from leadpulse.kernel.messages import AccountLost, AccountVisit
from leadpulse.kernel.schema import AlertLead, EventEnvelope, Identity, encode
from scorer.core.alerts import account_alert, lead_summary_data
from scorer.core.config import Rules
from scorer.core.decay import DAY
from scorer.core.effects import EffectLog, Effects, EndLostDeal, KeepLostDeal, Outbound, Publish
from scorer.core.facts import EventFacts
from scorer.core.state import LeadState
from scorer.storage.view import PartitionReads

__all__ = [
    "account_message",
    "came_back",
    "notify_lost",
    "notify_visit",
    "on_account_lost",
    "on_account_visit",
]


def came_back(visits: list[float], at: float, needed: int, days: float) -> tuple[list[float], bool]:
    """`visits` and one more at `at`, in time order (the latest 50), and whether `needed` of
    them fall within `days`: a visit that comes late counts with the visits around it."""
    kept = sorted([*visits, at])[-50:]
    span = days * DAY
    back = any(kept[i + needed - 1] - kept[i] <= span for i in range(len(kept) - needed + 1))
    return kept, back


def account_message(
    event_id: str, t: float, message: messages.AccountTouch | AccountLost | AccountVisit
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


def on_account_lost(view: PartitionReads, lost: AccountLost) -> Effects:
    """On the account's partition: record a loss."""
    record = view.lost_records.get(lost.account)
    # another person of the account losing too: all of them are the lost deal's people
    losers = sorted({*record["losers"], lost.lead_id}) if record else [lost.lead_id]
    return Effects((KeepLostDeal(lost.account, {"at": lost.at, "losers": losers, "visits": []}),))


def on_account_visit(
    view: PartitionReads, event: EventEnvelope, visit: AccountVisit, rules: Rules
) -> Effects:
    """On the account's partition: count a visit after a loss and maybe alert."""
    account, at = visit.account, visit.at
    record = view.lost_records.get(account)
    if record is None or visit.lead_id in record["losers"] or at < record["at"]:
        return Effects()
    window = rules.config.stages.lost_deal_return
    visits, back = came_back(record["visits"], at, window.visits, window.days)
    if back:
        # back once: nothing more to watch until the next lost deal
        alert = _alert(event, window.visits, visit, record["at"])
        return Effects((Publish(alert), EndLostDeal(account)))
    return Effects((KeepLostDeal(account, {**record, "visits": visits}),))


def _alert(event: EventEnvelope, visits: int, visit: AccountVisit, lost_at: float) -> Outbound:
    account = visit.account
    alert = account_alert(
        AlertType.LOST_DEAL_RETURNED,
        account,
        AlertLead.model_validate(visit.lead),
        transition=f"account:{lost_at!r}",
        trigger=event.event_id,
        reason=f"{visits} visits from {account} after a lost deal there",
        t=event.timestamp.timestamp(),
    )
    return Outbound(alert.alert_id, "alerts", account, encode(alert))
