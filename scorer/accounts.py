"""Accounts made real by Segment's `group(groupId, traits)`: who belongs, what the account is.

A `group` event is applied on its person's partition: the lead joins the account `groupId`
and keeps the account's traits (`name`, `domain` or `website`, `industry`, `employees`,
`plan`). Those feed the lead's fit rules as `company`, `industry`, `company_size`, `plan`
and `account_domain` (account facts win over what a person typed in a form, so every lead
of an account fits alike). The person's partition then tells the account's partition
(keyed `account:<id>`), which records the account in its `accts` hash under its id and its
domain (one account known both ways) and notes the change in `acctv`.

Every scorer reads those changes on its tick (`AccountDirectory.refresh`), so a lead of the
account seen later (say, a colleague whose email domain is the account's website) is moved
onto the account and fits by its traits on that lead's next event.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

from leadpulse.kernel import messages
from leadpulse.kernel.schema import Identity
from leadpulse.kernel.valkey import Valkey
from scorer.context import Outbound, PartitionView, queue_outbound
from scorer.facts import EventFacts
from scorer.keys import META, PartitionKeys
from scorer.rules import email_domain
from scorer.state import LeadState
from scorer.writes import WriteSet

__all__ = [
    "AccountDirectory",
    "AccountInfo",
    "absorb_account",
    "account_traits",
    "apply_account_info",
    "fit_traits",
    "normalize_domain",
]

# group trait -> the trait name fit rules read it as
FIT_NAMES = {"name": "company", "industry": "industry", "employees": "company_size", "plan": "plan"}
_TEXT_MAX = 200
# changes re-read on each tick from a little before the last one: scorers' clocks differ
_OVERLAP_SECONDS = 120.0


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


def _account_id(value: str) -> str:
    return value.strip().lower()


def absorb_account(
    ws: WriteSet, view: PartitionView, state: LeadState, facts: EventFacts, before: str | None
) -> bool:
    """Join the account a `group` names, or the one the directory knows this lead's by;
    True when the lead's account or account traits changed (its fit must be refreshed)."""
    was = (state.account, dict(state.account_traits))  # `before`: the account before the event
    if facts.kind == "group" and facts.account_id:
        account = state.account = _account_id(facts.account_id)
        known = view.accounts.get(account)
        base = dict(known.traits) if known is not None else {}
        if before == account:
            base |= state.account_traits
        state.account_traits = base | account_traits(facts.group_traits)
        state.account_at = facts.t
        if state.account_traits != was[1] or known is None:
            _tell_account(ws, view, state, facts)
    elif state.account:
        if state.account != before:
            # another account named by the event (account_id): the old traits are not its
            state.account_traits, state.account_at = {}, 0.0
        known = view.accounts.get(state.account)
        if known is not None and (known.at > state.account_at or known.account != state.account):
            state.account = known.account
            state.account_traits = dict(known.traits)
            state.account_at = known.at
    if before and before != state.account:
        ws.hdel(view.pk.account(before), state.lead_id)
    return (state.account, state.account_traits) != (before, was[1])


def _tell_account(ws: WriteSet, view: PartitionView, state: LeadState, facts: EventFacts) -> None:
    assert state.account is not None
    told = messages.AccountInfo(account=state.account, info=state.account_traits, at=facts.t)
    event_id = f"acctinfo:{facts.event_id}"
    value = messages.encode(told, event_id, Identity(), facts.t)
    queue_outbound(view, ws, Outbound(event_id, "events", f"account:{state.account}", value))


def apply_account_info(ws: WriteSet, view: PartitionView, told: messages.AccountInfo) -> None:
    """On the account's partition: record the account under its id and its domain."""
    account = _account_id(told.account)
    info = told.info
    if not account:
        return
    at = told.at
    record = orjson.dumps({"account": account, "traits": info, "at": at})
    # The change time, not the event's: the tick reads changes since its last read.
    changed = time.time()
    ws.hset(view.pk.accounts, account, record)
    ws.zadd(view.pk.account_changes, changed, account)
    domain = info.get("domain")
    if isinstance(domain, str) and domain and domain != account:
        ws.hset(view.pk.accounts, domain, record)
        ws.zadd(view.pk.account_changes, changed, domain)


def _record(raw: Any) -> AccountInfo | None:
    try:
        data = orjson.loads(raw)
        return AccountInfo(str(data["account"]), dict(data["traits"]), float(data["at"]))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


async def read_account(redis: Valkey, partitions: int, name: str) -> AccountInfo | None:
    """An account by its id or its domain, from whichever partition recorded it."""
    pipe = redis.pipeline(transaction=False)
    for partition in range(partitions):
        pipe.hget(PartitionKeys(partition).accounts, name.strip().lower())
    found = [info for raw in await pipe.execute() if raw and (info := _record(raw))]
    return max(found, key=lambda info: info.at) if found else None


class AccountDirectory:
    """Every account a `group` call described, by id and by domain; refreshed on the tick
    with what changed since the last read."""

    def __init__(self) -> None:
        self.entries: dict[str, AccountInfo] = {}
        self._since: dict[int, float] = {}

    async def refresh(self, redis: Valkey) -> int:
        """Read the accounts changed since the last refresh; return how many."""
        partitions = int(await redis.hget(META, "partitions") or 0)
        if not partitions:
            return 0
        pipe = redis.pipeline(transaction=False)
        for partition in range(partitions):
            since = self._since.get(partition, 0.0)
            start = max(0.0, since - _OVERLAP_SECONDS) if since else "-inf"
            pipe.zrangebyscore(
                PartitionKeys(partition).account_changes, start, "+inf", withscores=True
            )
        changed = await pipe.execute()
        pipe = redis.pipeline(transaction=False)
        asked: list[list[str]] = []
        for partition, rows in enumerate(changed):
            names = [m.decode() if isinstance(m, bytes) else str(m) for m, _ in rows]
            if rows:
                self._since[partition] = max(float(score) for _, score in rows)
                pipe.hmget(PartitionKeys(partition).accounts, names)
            asked.append(names)
        replies = iter(await pipe.execute()) if any(asked) else iter(())
        count = 0
        for names in asked:
            if not names:
                continue
            for name, raw in zip(names, next(replies), strict=True):
                info = _record(raw) if raw else None
                old = self.entries.get(name)
                if info is not None and (old is None or info.at >= old.at):
                    self.entries[name] = info
                    count += 1
        return count
