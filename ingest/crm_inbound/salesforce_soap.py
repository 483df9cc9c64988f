"""Salesforce Outbound Messages: the SOAP 1.1 `notifications` call, read safely, and the
`notificationsResponse` acknowledgement Salesforce waits for.

Shape (Salesforce's outbound messaging WSDL): `soapenv:Envelope/soapenv:Body/notifications`
in `http://soap.sforce.com/2005/09/outbound`, holding `OrganizationId`, `ActionId`,
`SessionId` (nillable), `EnterpriseUrl`, `PartnerUrl` and 1-100 `Notification`s, each an
`Id` and an `sObject` whose `xsi:type` names the object (`sf:Opportunity`, `sf:Lead`) and
whose children, in `urn:sobject.enterprise.soap.sforce.com`, are the fields the message was
configured to send. defusedxml refuses DTDs and entity declarations, so neither a billion
laughs nor an external entity gets expanded; the body's size is bounded before parsing.
"""

from __future__ import annotations

from typing import NamedTuple
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

__all__ = ["ACK", "MAX_NOTIFICATIONS", "Notification", "Notifications", "parse_notifications"]

MAX_NOTIFICATIONS = 100

_SOAP = "{http://schemas.xmlsoap.org/soap/envelope/}"
_OUT = "{http://soap.sforce.com/2005/09/outbound}"
_XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"

ACK = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
    b"<soapenv:Body>"
    b'<notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">'
    b"<Ack>true</Ack>"
    b"</notificationsResponse>"
    b"</soapenv:Body>"
    b"</soapenv:Envelope>"
)


class Notification(NamedTuple):
    """One record change: the notification's id, the object type and the fields sent."""

    id: str
    object_type: str
    fields: dict[str, str | None]


class Notifications(NamedTuple):
    organization_id: str
    action_id: str
    items: list[Notification]


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _text(parent: Element, name: str, where: str) -> str:
    child = parent.find(f"{_OUT}{name}")
    if child is None or not (child.text or "").strip():
        raise ValueError(f"{where}.{name}: missing")
    return (child.text or "").strip()


def _notification(element: Element, where: str) -> Notification:
    sobject = element.find(f"{_OUT}sObject")
    if sobject is None:
        raise ValueError(f"{where}.sObject: missing")
    object_type = _local(sobject.get(_XSI_TYPE, "")).rpartition(":")[2]
    if not object_type:
        raise ValueError(f"{where}.sObject: no xsi:type")
    fields: dict[str, str | None] = {}
    for child in sobject:
        nil = child.get(_XSI_NIL, "").lower() == "true"
        fields[_local(child.tag)] = None if nil else (child.text or "").strip()
    return Notification(_text(element, "Id", where), object_type, fields)


def parse_notifications(raw: bytes) -> Notifications:
    """The notifications in a SOAP body; ValueError naming what is wrong with it."""
    try:
        root = fromstring(raw, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise ValueError(f"body: forbidden XML construct ({type(exc).__name__})") from exc
    except ParseError as exc:
        raise ValueError(f"body: not well-formed XML ({exc})") from exc
    if root.tag != f"{_SOAP}Envelope":
        raise ValueError("body: not a SOAP 1.1 Envelope")
    found = root.find(f"{_SOAP}Body/{_OUT}notifications")
    if found is None:
        raise ValueError("Body.notifications: missing")
    elements = found.findall(f"{_OUT}Notification")
    if not elements:
        raise ValueError("notifications.Notification: none")
    if len(elements) > MAX_NOTIFICATIONS:
        raise ValueError(f"notifications.Notification: more than {MAX_NOTIFICATIONS}")
    return Notifications(
        organization_id=_text(found, "OrganizationId", "notifications"),
        action_id=_text(found, "ActionId", "notifications"),
        items=[
            _notification(element, f"notifications.Notification.{n}")
            for n, element in enumerate(elements)
        ],
    )
