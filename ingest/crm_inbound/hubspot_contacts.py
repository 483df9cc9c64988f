"""Who a HubSpot deal or contact is: emails read with the official `hubspot-api-client`.

A deal's contacts come from reading the deal with its contact associations
(`GET /crm/v3/objects/deals/{dealId}?associations=contacts`), each contact's email from
`GET /crm/v3/objects/contacts/{contactId}?properties=email`. The client is synchronous
(urllib3), so calls run in a worker thread, under one deadline for the whole request: HubSpot
waits five seconds for our answer, then counts a time-out and retries. Every call has the
same deadline as its own socket timeout, so no thread outlives the request by much.

A deal or contact HubSpot no longer has (404) resolves to no one; any other failure
(unreachable, 401, 429, 5xx, the deadline) raises `ResolveFailed`, answered 503 so that
HubSpot delivers the events again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import structlog
from hubspot import HubSpot
from hubspot.crm.contacts import ApiException as ContactsError
from hubspot.crm.deals import ApiException as DealsError
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.util.retry import Retry

__all__ = ["ContactResolver", "ResolveFailed"]

log = structlog.get_logger(__name__)

_NOT_FOUND = 404


class ResolveFailed(Exception):
    """HubSpot could not tell us whom an event is about now; a later delivery may."""


class ContactResolver:
    """Emails of deals' and contacts' people, by HubSpot object id."""

    def __init__(self, base_url: str, token: str, timeout: float, max_contacts: int) -> None:
        # No retries in the client: HubSpot's own redelivery is the retry.
        self._client = HubSpot(access_token=token, host=base_url, retry=Retry(total=0))
        self._timeout = timeout
        self._max_contacts = max_contacts

    async def resolve(
        self, deal_ids: Iterable[int], contact_ids: Iterable[int]
    ) -> tuple[dict[int, list[tuple[int, str]]], dict[int, str]]:
        """({deal id: [(contact id, email)]}, {contact id: email}) within the deadline."""
        deals, contacts = sorted(set(deal_ids)), sorted(set(contact_ids))
        try:
            return await asyncio.wait_for(
                asyncio.to_thread(self._resolve, deals, contacts), self._timeout
            )
        except TimeoutError as exc:
            log.warning("hubspot_resolve_timed_out", deals=len(deals), contacts=len(contacts))
            raise ResolveFailed("HubSpot did not answer in time") from exc

    def _resolve(
        self, deal_ids: list[int], contact_ids: list[int]
    ) -> tuple[dict[int, list[tuple[int, str]]], dict[int, str]]:
        emails: dict[int, str | None] = {}

        def email(contact_id: int) -> str | None:
            if contact_id not in emails:
                emails[contact_id] = self._email(contact_id)
            return emails[contact_id]

        by_deal: dict[int, list[tuple[int, str]]] = {}
        for deal_id in deal_ids:
            people = [(c, email(c)) for c in self._deal_contacts(deal_id)]
            by_deal[deal_id] = [(c, e) for c, e in people if e]
        by_contact = {c: e for c in contact_ids if (e := email(c))}
        return by_deal, by_contact

    def _deal_contacts(self, deal_id: int) -> list[int]:
        try:
            deal = self._client.crm.deals.basic_api.get_by_id(
                str(deal_id), associations=["contacts"], _request_timeout=self._timeout
            )
        except DealsError as exc:
            return _absent(exc, "deal")
        except Urllib3Error as exc:
            raise ResolveFailed(f"HubSpot unreachable: {type(exc).__name__}") from exc
        found = (deal.associations or {}).get("contacts")
        results: list[Any] = getattr(found, "results", None) or []
        ids = [int(item.id) for item in results if str(item.id).isdigit()]
        return sorted(set(ids))[: self._max_contacts]

    def _email(self, contact_id: int) -> str | None:
        try:
            contact = self._client.crm.contacts.basic_api.get_by_id(
                str(contact_id), properties=["email"], _request_timeout=self._timeout
            )
        except ContactsError as exc:
            _absent(exc, "contact")
            return None
        except Urllib3Error as exc:
            raise ResolveFailed(f"HubSpot unreachable: {type(exc).__name__}") from exc
        value = (contact.properties or {}).get("email")
        return value if isinstance(value, str) and value else None


def _absent(exc: DealsError | ContactsError, what: str) -> list[int]:
    """A deleted or merged-away record is no one; every other error is worth a retry."""
    if exc.status == _NOT_FOUND:
        log.info("hubspot_record_missing", record=what)
        return []
    log.warning("hubspot_resolve_failed", record=what, status=exc.status)
    raise ResolveFailed(f"HubSpot answered {exc.status} reading a {what}") from exc
