"""A lost deal at an account, and its people coming back: lost_deal_returned for accounts.

The person who lost the deal raises the lead's own alert when they return (`lead_events`).
This is the account's: after a CRM `lost` on one person of an account, N page visits in D
days by *other* people of that account raise one alert for the account, once per loss.

Flow, never a cross-partition write: the lost lead's partition sends an `account` message
{lost} keyed `account:<id>`; the account's partition records the loss in its `lost` hash.
Every scorer reads the lost accounts on its tick (`read_lost_accounts`, a few seconds
stale at most) and, for a page view by a person of such an account, sends {visit}; the
account's partition counts them against the loss.
"""

from __future__ import annotations

from typing import Any

import orjson

from leadpulse.domain import AlertType
from leadpulse.schema import AlertLead, EventEnvelope, Identity, control_event, encode
from scorer.alerts import account_alert, lead_summary_data
from scorer.context import Outbound, PartitionView, Rules, queue_outbound
from scorer.decay import DAY
from scorer.facts import EventFacts
from scorer.keys import META, PartitionKeys
from scorer.state import LeadState
from scorer.writes import WriteSet

__all__ = [
    "account_message",
    "apply_account_return",
    "is_account_return",
    "notify_lost",
    "notify_visit",
    "read_lost_accounts",
]


def account_message(event_id: str, account: str, t: float, control: dict[str, Any]) -> Outbound:
    """A message for the account's own partition (keyed `account:<id>`)."""
    value = control_event(event_id, "account", Identity(), t, {"account": account, **control})
    return Outbound(event_id, "events", f"account:{account}", value)


def is_account_return(event: EventEnvelope) -> bool:
    """An `account` message about a lost deal: the loss itself, or a visit after it."""
    control = event.control or {}
    return bool(control.get("lost") or control.get("visit"))


def notify_lost(ws: WriteSet, view: PartitionView, state: LeadState, facts: EventFacts) -> None:
    """This person's deal was lost: tell the account's partition."""
    if not state.account:
        return
    control = {"lost": True, "lead_id": state.lead_id, "at": facts.t}
    event_id = f"acct-lost:{facts.event_id}:{state.lead_id}"
    queue_outbound(view, ws, account_message(event_id, state.account, facts.t, control))


def notify_visit(
    ws: WriteSet, view: PartitionView, state: LeadState, rules: Rules, facts: EventFacts
) -> None:
    """A page view by a person of an account that lost a deal: tell the account's partition."""
    lost_at = view.lost_accounts.get(state.account or "")
    if lost_at is None or facts.t < lost_at or not facts.is_page or facts.noise:
        return
    assert state.account is not None
    control = {
        "visit": True,
        "lead_id": state.lead_id,
        "at": facts.t,
        "lead": lead_summary_data(state, rules.compiled.models, facts.t),
    }
    event_id = f"acct-visit:{facts.event_id}:{state.lead_id}"
    queue_outbound(view, ws, account_message(event_id, state.account, facts.t, control))


def apply_account_return(
    ws: WriteSet, view: PartitionView, event: EventEnvelope, rules: Rules
) -> None:
    """On the account's partition: record a loss, or count a visit and maybe alert."""
    control = event.control or {}
    account = str(control.get("account", ""))
    lead_id = str(control.get("lead_id", ""))
    at = float(control.get("at", event.timestamp.timestamp()))
    record = view.lost_records.get(account)
    if control.get("lost"):
        # another person of the account losing too: all of them are the lost deal's people
        losers = sorted({*record["losers"], lead_id}) if record else [lead_id]
        record = {"at": at, "losers": losers, "visits": []}
    elif record is None or lead_id in record["losers"] or at < record["at"]:
        return
    else:
        window = rules.config.stages.lost_deal_return
        since = at - window.days * DAY
        recent = [v for v in record["visits"] if v >= since][-50:]
        record["visits"] = [*recent, at]
        if len(record["visits"]) >= window.visits:
            _alert(view, ws, event, account, record, control)
            # back once: nothing more to watch until the next lost deal
            view.lost_records[account] = None
            ws.hdel(view.pk.lost_accounts, account)
            return
    view.lost_records[account] = record
    ws.hset(view.pk.lost_accounts, account, orjson.dumps(record))


def _alert(
    view: PartitionView,
    ws: WriteSet,
    event: EventEnvelope,
    account: str,
    record: dict[str, Any],
    control: dict[str, Any],
) -> None:
    alert = account_alert(
        AlertType.LOST_DEAL_RETURNED,
        account,
        AlertLead.model_validate(control["lead"]),
        transition=f"account:{record['at']!r}",
        trigger=event.event_id,
        reason=f"{len(record['visits'])} visits from {account} after a lost deal there",
        t=event.timestamp.timestamp(),
    )
    queue_outbound(view, ws, Outbound(alert.alert_id, "alerts", account, encode(alert)))


async def read_lost_accounts(redis: Any) -> dict[str, float]:
    """Every account with a lost deal not yet back: account -> when the deal was lost."""
    partitions = int(await redis.hget(META, "partitions") or 0)
    if not partitions:
        return {}
    pipe = redis.pipeline(transaction=False)
    for partition in range(partitions):
        pipe.hgetall(PartitionKeys(partition).lost_accounts)
    lost: dict[str, float] = {}
    for shard in await pipe.execute():
        for raw_account, raw in shard.items():
            record = orjson.loads(raw)
            account = raw_account.decode() if isinstance(raw_account, bytes) else raw_account
            lost[account] = float(record["at"])
    return lost
