"""What Salesforce requires of an Outbound Message's answer (its "Outbound Messaging" guide
and WSDL): HTTP 200, text/xml, a SOAP 1.1 Envelope whose Body holds `notificationsResponse`
in `http://soap.sforce.com/2005/09/outbound` with `<Ack>true</Ack>`. Anything else is a
failed delivery, which Salesforce retries for up to 24 hours."""

from __future__ import annotations

import httpx
from defusedxml.ElementTree import fromstring

__all__ = ["assert_ack"]

_PATH = (
    "{http://schemas.xmlsoap.org/soap/envelope/}Body/"
    "{http://soap.sforce.com/2005/09/outbound}notificationsResponse/"
    "{http://soap.sforce.com/2005/09/outbound}Ack"
)


def assert_ack(answer: httpx.Response) -> None:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/xml")
    root = fromstring(answer.content)
    assert root.tag == "{http://schemas.xmlsoap.org/soap/envelope/}Envelope"
    ack = root.find(_PATH)
    assert ack is not None and ack.text == "true", answer.text
