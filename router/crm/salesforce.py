"""Salesforce Leads: upserted by the external id `LeadPulse_Id__c` in sObject Collections
of up to 200, and a converted Lead's Contact updated instead (a converted Lead is read-only).

Custom fields (created by an admin, on Lead and on Contact): `leadpulse_score__c`,
`leadpulse_engagement__c`, `leadpulse_fit__c`, `leadpulse_p_convert__c` (Number),
`leadpulse_stage__c`, `leadpulse_consideration__c`, `leadpulse_interests__c`,
`leadpulse_last_alert__c`, `leadpulse_url__c`, `leadpulse_change_id__c` (Text),
`leadpulse_top_reasons__c` (Text Area); on Lead also `LeadPulse_Id__c` (Text, External ID,
Unique). A new Lead gets `LastName` from the email's local part and `Company` from its
domain (required fields); later writes leave both to sales.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from simple_salesforce.api import Salesforce
from simple_salesforce.format import format_soql

from leadpulse.kernel.config.connectors import SalesforceConfig
from router import metrics
from router.crm.bucket import RequestBudget
from router.crm.fields import PROPERTIES, hubspot_properties
from router.crm.health import Tally
from router.crm.hubspot import PropertyReport
from router.crm.records import Written
from router.crm.salesforce_api import SalesforceSession
from router.crm.types import Prior, Write, WriteResult
from router.errors import DeliveryError, PermanentFailure

__all__ = ["SalesforceConnector"]

T = TypeVar("T")
EXTERNAL_ID = "LeadPulse_Id__c"
CHANGE_FIELD = "leadpulse_change_id__c"
_CONVERTED = "CANNOT_UPDATE_CONVERTED_LEAD"


_NUMBERS = ("leadpulse_score", "leadpulse_engagement", "leadpulse_fit", "leadpulse_p_convert")


def _fields(change_props: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in change_props.items():
        number = name in _NUMBERS
        out[f"{name}__c"] = (float(value) if value else None) if number else value
    return out


class SalesforceConnector:
    kind = "salesforce"

    def __init__(
        self, name: str, session: SalesforceSession, config: SalesforceConfig, link_base: str
    ) -> None:
        self.name = name
        self.config = config
        self.batch_size = config.batch_size
        self.linger = config.linger_seconds
        self.policy = config.retry
        self.tally = Tally()
        self.budget = RequestBudget(
            name, config.requests_per_window, config.window_seconds, tally=self.tally
        )
        self._session = session
        self._link_base = link_base

    async def _call(self, fn: Callable[[Salesforce], T]) -> T:
        try:
            async with self.budget.request():
                result = await asyncio.to_thread(self._session.call, fn)
        except DeliveryError as exc:
            metrics.CRM_REQUESTS.labels(self.name, exc.reason).inc()
            self.tally.requests += 1
            self.tally.failed += 1
            if exc.retry_after is not None and exc.reason == "http_429":
                self.budget.pause(exc.retry_after)
            raise
        metrics.CRM_REQUESTS.labels(self.name, "ok").inc()
        self.tally.requests += 1
        return result

    async def prepare(self) -> PropertyReport:
        """Log in and check that every custom field exists on Lead and Contact."""
        wanted = {f"{spec.name}__c" for spec in PROPERTIES}
        report = PropertyReport()
        missing: list[str] = []
        for sobject, extra in (("Lead", {EXTERNAL_ID}), ("Contact", set())):
            names = await self._field_names(sobject)
            for field in sorted(wanted | extra):
                target = report.found if field in names else missing
                target.append(f"{sobject}.{field}")
        if missing:
            raise PermanentFailure("missing_fields", "missing fields: " + ", ".join(missing))
        return report

    async def _field_names(self, sobject: str) -> set[str]:
        def describe(sf: Salesforce) -> Any:
            return sf.restful(f"sobjects/{sobject}/describe")

        described = await self._call(describe)
        return {str(f["name"]) for f in described["fields"]}

    def plan(self, write: Write, prior: Prior) -> Written:
        change = write.change
        return Written(change.lead_id, change.seq, change.change_id, change.email or "")

    def payload(self, write: Write, prior: Prior) -> dict[str, Any]:
        change = write.change
        record = _fields(hubspot_properties(change, self._link_base))
        record["Email"] = change.email
        if prior is None:
            local, _, domain = (change.email or "").partition("@")
            record["LastName"] = local[:80] or self.config.unknown
            record["Company"] = domain[:255] or self.config.unknown
        return record

    def request_body(self, items: list[tuple[Written, dict[str, Any]]]) -> dict[str, Any]:
        records = [
            {"attributes": {"type": "Lead"}, EXTERNAL_ID: w.lead_id, **fields}
            for w, fields in items
        ]
        return {"allOrNone": False, "records": records}

    async def write(self, items: list[tuple[Written, dict[str, Any]]]) -> WriteResult:
        """Upsert the Leads; refused ones (by record) come back; converted ones go to Contacts."""
        path = f"composite/sobjects/Lead/{EXTERNAL_ID}"
        body = self.request_body(items)
        results = await self._call(lambda sf: sf.restful(path, method="PATCH", json=body))
        refused: dict[str, DeliveryError] = {}
        ids: dict[str, str] = {}
        converted: list[tuple[Written, dict[str, Any]]] = []
        for (written, fields), result in zip(items, results or [], strict=True):
            if result.get("success"):
                if result.get("id"):
                    ids[written.change_id] = str(result["id"])
                continue
            codes = [e.get("statusCode", "") for e in result.get("errors", [])]
            if _CONVERTED in codes:
                converted.append((written, fields))
            else:
                refused[written.change_id] = PermanentFailure("validation", ", ".join(codes))
        if converted:
            refused.update(await self._update_contacts(converted, ids))
        return WriteResult(refused, ids)

    async def _update_contacts(
        self, items: list[tuple[Written, dict[str, Any]]], ids: dict[str, str]
    ) -> dict[str, DeliveryError]:
        """Write converted Leads' fields to their Contacts; the Contact id goes in `ids`."""
        leads = await self._leads([w.lead_id for w, _ in items], "ConvertedContactId")
        records, sent = [], []
        refused: dict[str, DeliveryError] = {}
        for written, fields in items:
            contact = (leads.get(written.lead_id) or {}).get("ConvertedContactId")
            if not contact:
                refused[written.change_id] = PermanentFailure("validation", "converted, no contact")
                continue
            kept = {k: v for k, v in fields.items() if k.startswith("leadpulse_")}
            records.append({"attributes": {"type": "Contact"}, "id": contact, **kept})
            sent.append(written)
        if records:
            body = {"allOrNone": False, "records": records}
            results = await self._call(
                lambda sf: sf.restful("composite/sobjects", method="PATCH", json=body)
            )
            for written, result in zip(sent, results or [], strict=True):
                if result.get("success") and result.get("id"):
                    ids[written.change_id] = str(result["id"])
                elif not result.get("success"):
                    codes = ", ".join(e.get("statusCode", "") for e in result.get("errors", []))
                    refused[written.change_id] = PermanentFailure("validation", codes)
        return refused

    async def _leads(self, lead_ids: list[str], *fields: str) -> dict[str, dict[str, Any]]:
        columns = ", ".join([EXTERNAL_ID, *fields])
        # Column names are ours; the ids are bound (quoted) by format_soql.
        query = f"SELECT {columns} FROM Lead WHERE {EXTERNAL_ID} IN {{ids}}"  # noqa: S608
        soql = format_soql(query, ids=lead_ids)
        answer = await self._call(lambda sf: sf.query_all(soql))
        return {r[EXTERNAL_ID]: r for r in answer["records"]}

    async def applied(self, writes: list[Written]) -> set[str]:
        """Change ids the Leads (or, once converted, their Contacts) carry now."""
        if not writes:
            return set()
        leads = await self._leads(
            [w.lead_id for w in writes], CHANGE_FIELD, "IsConverted", "ConvertedContactId"
        )
        held = {lead_id: r.get(CHANGE_FIELD) for lead_id, r in leads.items()}
        contacts = {r["ConvertedContactId"]: i for i, r in leads.items() if r.get("IsConverted")}
        if contacts:
            query = f"SELECT Id, {CHANGE_FIELD} FROM Contact WHERE Id IN {{ids}}"  # noqa: S608
            soql = format_soql(query, ids=list(contacts))
            answer = await self._call(lambda sf: sf.query_all(soql))
            for row in answer["records"]:
                held[contacts[row["Id"]]] = row.get(CHANGE_FIELD)
        return {w.change_id for w in writes if held.get(w.lead_id) == w.change_id}

    async def aclose(self) -> None:
        self._session.close()
