"""Accounts made real by Segment's `group(groupId, traits)`: who belongs, what the account is.

A `group` event is decided on its person's partition (`scorer.core.account_events.
absorb_account`): the lead joins the account `groupId`
and keeps the account's traits (`name`, `domain` or `website`, `industry`, `employees`,
`plan`). Those feed the lead's fit rules as `company`, `industry`, `company_size`, `plan`
and `account_domain` (account facts win over what a person typed in a form, so every lead
of an account fits alike). The person's partition then tells the account's partition
(keyed `account:<id>`), whose handler is here: it records the account in its `accts`
hash under its id and its domain (one account known both ways) and notes the change in
`acctv`.

Every scorer reads those changes on its tick (`scorer.read.accounts.AccountDirectory`), so a
lead of the account seen later (say, a colleague whose email domain is the account's website)
is moved onto the account and fits by its traits on that lead's next event.
"""

from __future__ import annotations

import time

import orjson

from leadpulse.kernel import messages
from scorer.core.account_events import account_key
from scorer.core.effects import Effects, RecordAccount

__all__ = ["on_account_info"]


def on_account_info(told: messages.AccountInfo) -> Effects:
    """On the account's partition: record the account under its id and its domain."""
    account = account_key(told.account)
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
