"""Which HubSpot webhook events are outcomes: deal stages and lifecycle stages by config;
everything else is acknowledged and ignored."""

from __future__ import annotations

from typing import Any

import pytest

from ingest.crm_inbound.hubspot_events import outcome_of, parse_events
from leadpulse.kernel.config.crm_inbound import HubSpotInbound


def _event(**changes: Any) -> dict[str, Any]:
    event = {
        "eventId": 100,
        "subscriptionId": 7,
        "portalId": 62515,
        "appId": 54321,
        "occurredAt": 1764583200000,
        "subscriptionType": "deal.propertyChange",
        "attemptNumber": 0,
        "objectId": 9001,
        "propertyName": "dealstage",
        "propertyValue": "closedwon",
        "changeSource": "CRM_UI",
        "sourceId": "userId:42",
    }
    return event | changes


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (_event(), ("deal", "won")),
        (_event(propertyValue="closedlost"), ("deal", "lost")),
        (_event(propertyValue="presentationscheduled"), None),
        (_event(propertyName="amount", propertyValue="100"), None),
        (_event(subscriptionType="deal.creation"), None),
        (
            _event(
                subscriptionType="contact.propertyChange",
                propertyName="lifecyclestage",
                propertyValue="customer",
            ),
            ("contact", "won"),
        ),
        (
            _event(
                subscriptionType="contact.propertyChange",
                propertyName="lifecyclestage",
                propertyValue="marketingqualifiedlead",
            ),
            None,
        ),
        (_event(subscriptionType="object.propertyChange", objectTypeId="0-3"), ("deal", "won")),
        (_event(subscriptionType="object.propertyChange", objectTypeId="0-2"), None),
        (_event(sourceId="leadpulse-app"), None),
    ],
    ids=[
        "closedwon",
        "closedlost",
        "unmapped-stage",
        "other-property",
        "other-subscription",
        "lifecycle-customer",
        "lifecycle-unmapped",
        "object-deal",
        "object-company",
        "own-echo",
    ],
)
def test_outcomes(event: dict[str, Any], expected: tuple[str, str] | None) -> None:
    """closedwon/closedlost and mapped lifecycle stages are outcomes; nothing else is."""
    config = HubSpotInbound(ignore_source_ids=["leadpulse-app"])
    (parsed,), _ = parse_events([event])
    change = outcome_of(parsed, config)
    assert ((change.kind, change.outcome) if change else None) == expected


def test_configured_stage_ids_of_a_custom_pipeline_map() -> None:
    """A custom pipeline's stage id maps to the outcome the config gives it."""
    config = HubSpotInbound(deal_stages={"1234567": "opportunity"})
    (parsed,), _ = parse_events([_event(propertyValue="1234567")])
    change = outcome_of(parsed, config)
    assert change is not None and change.outcome == "opportunity"


def test_unreadable_events_are_counted_not_fatal() -> None:
    """An event missing its ids is skipped; the rest of the batch is read."""
    events, unreadable = parse_events([_event(), {"eventId": "x"}])
    assert (len(events), unreadable) == (1, 1)


@pytest.mark.parametrize("body", [{"eventId": 1}, [_event()] * 101], ids=["object", "too-many"])
def test_a_body_that_is_not_a_batch_is_refused(body: Any) -> None:
    """HubSpot sends a JSON array of at most 100 events."""
    with pytest.raises(ValueError, match="body"):
        parse_events(body)
