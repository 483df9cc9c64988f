"""An account's engaged people, told by each of them (`AccountTouch`), and its buying group
alert when enough of them engage within the window."""

from __future__ import annotations

from leadpulse.kernel.domain import AlertType
from leadpulse.kernel.messages import AccountTouch
from leadpulse.kernel.schema import AlertLead, encode
from leadpulse.kernel.wire import Envelope
from scorer.core.alerts import account_alert
from scorer.core.config import Rules
from scorer.core.decay import DAY
from scorer.core.effects import Effects, FireGroup, KeepGroup, Outbound, Publish
from scorer.storage.view import PartitionReads

__all__ = ["on_account_touch"]


def on_account_touch(
    view: PartitionReads, event: Envelope, touch: AccountTouch, rules: Rules
) -> Effects:
    """A person of an account engaged: keep the account's engaged set; maybe a buying group."""
    account = touch.account
    lead_id = touch.lead_id
    at = touch.at
    if not account or not lead_id:
        return Effects()
    group_cfg = rules.config.accounts.buying_group
    since = at - group_cfg.days * DAY
    group = dict(view.groups.get(account, {}))
    group[lead_id] = max(group.get(lead_id, at), at)
    for member in [m for m, seen in group.items() if seen < since]:
        del group[member]
    kept = KeepGroup(account, group, lead_id, since)
    fired = view.group_fired.get(account)
    if len(group) < group_cfg.people or (fired is not None and at - fired < group_cfg.days * DAY):
        return Effects((kept,))
    lead = AlertLead.model_validate(touch.lead or {"lead_id": lead_id, "stage": "lead", "score": 0})
    alert = account_alert(
        AlertType.BUYING_GROUP,
        account,
        lead,
        transition="group",
        trigger=event.event_id,
        reason=f"{len(group)} engaged people at {account} in {group_cfg.days:g} days",
        t=event.timestamp.timestamp(),
    )
    message = Outbound(alert.alert_id, "alerts", account, encode(alert))
    return Effects((kept, FireGroup(account, at), Publish(message)))
