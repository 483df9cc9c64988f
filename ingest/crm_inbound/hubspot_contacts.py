"""Who a HubSpot deal or contact is: emails read with the official `hubspot-api-client`.

A deal's contacts come from reading the deal with its contact associations
(`GET /crm/v3/objects/deals/{dealId}?associations=contacts`), each contact's email from
`GET /crm/v3/objects/contacts/{contactId}?properties=email`. The client is synchronous
(urllib3), so calls run on this resolver's own few threads (never the loop's default pool,
which the spool writes through), under one deadline for the whole request: HubSpot waits
five seconds for our answer, then counts a time-out and retries. Each call's socket timeout
is what is left of that deadline and no call starts past it, so a hung HubSpot holds a
thread for one deadline at most.

A deal or contact HubSpot no longer has (404) resolves to no one; any other failure
(unreachable, 401, 429, 5xx, the deadline) stops the work: what was resolved by then is
returned with the failure, so the caller publishes those outcomes and answers 503 for the
rest, and each redelivery of a large batch gets further than the last.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import structlog
from hubspot import HubSpot
from hubspot.crm.contacts import ApiException as ContactsError
from hubspot.crm.deals import ApiException as DealsError
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.util.retry import Retry

__all__ = ["ContactResolver", "Resolution", "ResolveFailed"]

log = structlog.get_logger(__name__)

_NOT_FOUND = 404
_THREADS = 4
_GRACE_SECONDS = 0.5


class ResolveFailed(Exception):
    """HubSpot could not tell us whom an event is about now; a later delivery may."""


@dataclass
class Resolution:
    """Who each deal and contact resolved so far is about (no one: an empty list, None);
    `failure` says why the others are not resolved (a later delivery may do them)."""

    deals: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    contacts: dict[int, str | None] = field(default_factory=dict)
    failure: str | None = None


class ContactResolver:
    """Emails of deals' and contacts' people, by HubSpot object id. `close()` once."""

    def __init__(self, base_url: str, token: str, timeout: float, max_contacts: int) -> None:
        # No retries in the client: HubSpot's own redelivery is the retry.
        client = HubSpot(access_token=token, host=base_url, retry=Retry(total=0))
        self._deals = client.crm.deals.basic_api
        self._contacts = client.crm.contacts.basic_api
        self._timeout = timeout
        self._max_contacts = max_contacts
        self._threads = ThreadPoolExecutor(_THREADS, thread_name_prefix="hubspot")

    def close(self) -> None:
        """Stop taking work; calls under way end by their own deadline."""
        self._threads.shutdown(wait=False, cancel_futures=True)

    async def resolve(self, deal_ids: Iterable[int], contact_ids: Iterable[int]) -> Resolution:
        """Whom each deal and contact is about, as far as the deadline allows."""
        deals, contacts = sorted(set(deal_ids)), sorted(set(contact_ids))
        result = Resolution()
        deadline = time.monotonic() + self._timeout
        work = asyncio.get_running_loop().run_in_executor(
            self._threads, self._resolve, deals, contacts, deadline, result
        )
        try:
            # The thread keeps to the deadline itself; this only guards against a stuck one.
            await asyncio.wait_for(work, self._timeout + _GRACE_SECONDS)
        except TimeoutError:
            result.failure = "HubSpot did not answer in time"
        if result.failure is not None:
            log.warning(
                "hubspot_resolve_incomplete",
                deals=len(deals),
                contacts=len(contacts),
                resolved=len(result.deals) + len(result.contacts),
            )
        # A copy: the thread may still be writing into `result` after a time-out.
        return Resolution(dict(result.deals), dict(result.contacts), result.failure)

    def _resolve(
        self, deal_ids: list[int], contact_ids: list[int], deadline: float, out: Resolution
    ) -> None:
        emails: dict[int, str | None] = {}

        def email(contact_id: int) -> str | None:
            if contact_id not in emails:
                emails[contact_id] = self._email(contact_id, _left(deadline))
            return emails[contact_id]

        try:
            for deal_id in deal_ids:
                people = [(c, email(c)) for c in self._deal_contacts(deal_id, _left(deadline))]
                out.deals[deal_id] = [(c, e) for c, e in people if e]
            for contact_id in contact_ids:
                out.contacts[contact_id] = email(contact_id)
        except ResolveFailed as exc:
            out.failure = str(exc)

    def _deal_contacts(self, deal_id: int, timeout: float) -> list[int]:
        try:
            deal = self._deals.get_by_id(
                str(deal_id), associations=["contacts"], _request_timeout=timeout
            )
        except DealsError as exc:
            return _absent(exc, "deal")
        except Urllib3Error as exc:
            raise ResolveFailed(f"HubSpot unreachable: {type(exc).__name__}") from exc
        found = (deal.associations or {}).get("contacts")
        results: list[Any] = getattr(found, "results", None) or []
        ids = [int(item.id) for item in results if str(item.id).isdigit()]
        return sorted(set(ids))[: self._max_contacts]

    def _email(self, contact_id: int, timeout: float) -> str | None:
        try:
            contact = self._contacts.get_by_id(
                str(contact_id), properties=["email"], _request_timeout=timeout
            )
        except ContactsError as exc:
            _absent(exc, "contact")
            return None
        except Urllib3Error as exc:
            raise ResolveFailed(f"HubSpot unreachable: {type(exc).__name__}") from exc
        value = (contact.properties or {}).get("email")
        return value if isinstance(value, str) and value else None


def _left(deadline: float) -> float:
    """What is left of the request's deadline for one more call; none left ends the work."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise ResolveFailed("HubSpot did not answer in time")
    return left


def _absent(exc: DealsError | ContactsError, what: str) -> list[int]:
    """A deleted or merged-away record is no one; every other error is worth a retry."""
    if exc.status == _NOT_FOUND:
        log.info("hubspot_record_missing", record=what)
        return []
    log.warning("hubspot_resolve_failed", record=what, status=exc.status)
    raise ResolveFailed(f"HubSpot answered {exc.status} reading a {what}") from exc
