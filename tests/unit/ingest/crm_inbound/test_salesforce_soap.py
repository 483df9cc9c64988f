"""Salesforce Outbound Messages: the documented envelope parsed, hostile XML refused, and
each notification mapped to the outcome the config says."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.crm_inbound.salesforce_outcomes import outcome_of
from ingest.crm_inbound.salesforce_soap import ACK, Notification, parse_notifications
from leadpulse.kernel.config.crm_inbound import SalesforceInbound

GOLDEN = Path(__file__).resolve().parents[3] / "golden" / "salesforce"


def _golden(name: str) -> bytes:
    return (GOLDEN / name).read_bytes()


def test_the_documented_envelope_is_read() -> None:
    """Organization, action, each Notification's id, object type and fields (nil is None)."""
    message = parse_notifications(_golden("lead_status.xml"))
    assert message.organization_id == "00D5e000000KQ2eEAG"
    assert message.action_id == "04k5e000000CaRlAAK"
    assert [(n.id, n.object_type) for n in message.items] == [
        ("04l5e00000Gx7R0AAJ", "Lead"),
        ("04l5e00000Gx7R1AAJ", "Lead"),
    ]
    assert message.items[0].fields["Email"] == "prospect@initech.example"
    assert message.items[1].fields["Email"] is None


def test_a_won_opportunity_is_won_for_the_email_field_sent() -> None:
    """IsWon true -> won, for the person in LeadPulse_Email__c, at its SystemModstamp."""
    (item,) = parse_notifications(_golden("opportunity_won.xml")).items
    change = outcome_of(item, SalesforceInbound())
    assert change is not None
    assert (change.outcome, change.email) == ("won", "buyer@initech.example")
    assert change.changed_at == datetime(2026, 12, 1, 10, 15, tzinfo=UTC)


def _opportunity(**fields: str) -> Notification:
    return Notification("04l000000000001AAA", "Opportunity", {"Id": "006x", **fields})


@pytest.mark.parametrize(
    ("fields", "stages", "expected"),
    [
        ({"IsWon": "true", "IsClosed": "true"}, {}, "won"),
        ({"IsWon": "false", "IsClosed": "true", "StageName": "Closed Lost"}, {}, "lost"),
        ({"IsWon": "false", "IsClosed": "false", "StageName": "Proposal"}, {}, None),
        (
            {"IsWon": "false", "IsClosed": "false", "StageName": "Proposal"},
            {"Proposal": "opportunity"},
            "opportunity",
        ),
        ({"StageName": "Closed Won"}, {"Closed Won": "won"}, "won"),
    ],
    ids=["won", "closed-lost", "open-unmapped", "open-mapped", "stage-only"],
)
def test_opportunity_outcomes(
    fields: dict[str, str], stages: dict[str, str], expected: str | None
) -> None:
    """IsWon, then IsClosed, then the configured StageName map."""
    config = SalesforceInbound.model_validate({"opportunity_stages": stages})
    change = outcome_of(_opportunity(LeadPulse_Email__c="a@b.example", **fields), config)
    assert (change.outcome if change else None) == expected


def test_lead_statuses_and_a_lead_known_only_by_leadpulse_id() -> None:
    """Lead Status maps by config; with no email the LeadPulse id identifies the person."""
    first, second = parse_notifications(_golden("lead_status.xml")).items
    config = SalesforceInbound()
    one, two = outcome_of(first, config), outcome_of(second, config)
    assert one is not None and two is not None
    assert (one.outcome, one.email) == ("accepted", "prospect@initech.example")
    assert (two.outcome, two.email, two.lead_id) == ("not_now", None, "ld_7a1b2c3d")


def test_a_notification_about_no_one_is_not_an_outcome() -> None:
    """Without the email field or a LeadPulse id there is no one to credit."""
    assert outcome_of(_opportunity(IsWon="true"), SalesforceInbound()) is None


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">&lol2;</soapenv:Envelope>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">&xxe;</soapenv:Envelope>"""
DTD_ONLY = b"""<?xml version="1.0"?>
<!DOCTYPE soapenv:Envelope SYSTEM "http://127.0.0.1:9/evil.dtd">
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"/>"""


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (BOMB, "forbidden"),
        (EXTERNAL, "forbidden"),
        (DTD_ONLY, "forbidden"),
        (b"<notifications>", "not well-formed"),
        (b"<a/>", "not a SOAP 1.1 Envelope"),
        (
            _golden("opportunity_won.xml").replace(
                b"<OrganizationId>00D5e000000KQ2eEAG</OrganizationId>", b""
            ),
            "OrganizationId: missing",
        ),
        (_golden("opportunity_won.xml").replace(b' xsi:type="sf:Opportunity"', b""), "xsi:type"),
    ],
    ids=[
        "billion-laughs",
        "external-entity",
        "external-dtd",
        "truncated",
        "not-soap",
        "no-org",
        "no-type",
    ],
)
def test_hostile_or_broken_xml_is_refused(raw: bytes, why: str) -> None:
    """Entities and DTDs are never expanded or fetched; a broken body says what is wrong."""
    with pytest.raises(ValueError, match=why):
        parse_notifications(raw)


def test_more_than_a_hundred_notifications_is_refused() -> None:
    """Salesforce sends at most 100 per message (the WSDL's maxOccurs)."""
    raw = _golden("lead_status.xml")
    start, end = raw.index(b"<Notification>"), raw.index(b"</Notification>") + 15
    many = raw[:start] + raw[start:end] * 101 + raw[end:]
    with pytest.raises(ValueError, match="more than 100"):
        parse_notifications(many)


def test_the_ack_is_the_envelope_salesforce_requires() -> None:
    """notificationsResponse in the outbound namespace, with Ack true, in a SOAP Body."""
    from defusedxml.ElementTree import fromstring

    root = fromstring(ACK)
    ack = root.find(
        "{http://schemas.xmlsoap.org/soap/envelope/}Body/"
        "{http://soap.sforce.com/2005/09/outbound}notificationsResponse/"
        "{http://soap.sforce.com/2005/09/outbound}Ack"
    )
    assert ack is not None and ack.text == "true"
