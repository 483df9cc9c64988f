"""A lost deal at an account, and its people coming back: lost_deal_returned for accounts.

The person who lost the deal raises the lead's own alert when they return (`scorer.core.behavior`).
This is the account's: after a CRM `lost` on one person of an account, N page visits in D
days by *other* people of that account raise one alert for the account, once per loss.

Flow, never a cross-partition write (the sending half is `scorer.core.account_events`,
the receiving half here): the lost lead's partition sends an `AccountLost`
keyed `account:<id>`; the account's partition records the loss in its `lost` hash. Every
scorer reads the lost accounts on its tick (`scorer.read.accounts.read_lost_accounts`, a few
seconds stale at most) and, for a page view by a person of such an account, sends an
`AccountVisit`; the account's partition counts them against the loss.
"""

from __future__ import annotations

from leadpulse.kernel.domain import AlertType
from leadpulse.kernel.messages import AccountLost, AccountVisit
from leadpulse.kernel.schema import AlertLead, encode
from leadpulse.kernel.wire import Envelope
from scorer.core.account_events import came_back
from scorer.core.alerts import account_alert
from scorer.core.config import Rules
from scorer.core.effects import Effects, EndLostDeal, KeepLostDeal, Outbound, Publish
from scorer.storage.view import PartitionReads

__all__ = ["on_account_lost", "on_account_visit"]


def on_account_lost(view: PartitionReads, lost: AccountLost) -> Effects:
    """On the account's partition: record a loss."""
    record = view.lost_records.get(lost.account)
    # another person of the account losing too: all of them are the lost deal's people
    losers = sorted({*record["losers"], lost.lead_id}) if record else [lost.lead_id]
    return Effects((KeepLostDeal(lost.account, {"at": lost.at, "losers": losers, "visits": []}),))


def on_account_visit(
    view: PartitionReads, event: Envelope, visit: AccountVisit, rules: Rules
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


def _alert(event: Envelope, visits: int, visit: AccountVisit, lost_at: float) -> Outbound:
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
