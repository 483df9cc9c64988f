"""Routing rules choose destinations; unnamed destinations take every alert."""

from __future__ import annotations

import pytest

from leadpulse.config.routing import Route, RoutingConfig
from leadpulse.schema import Alert, AlertType
from router.rules import route_alert, territory_of
from tests.unit.router.alerts import golden_alert

ALL = ["default_webhook", "default_slack", "emea_crm", "big_deals"]
ROUTING = RoutingConfig(
    territories={"DE": "emea", "US": "americas"},
    routes=[
        Route(territories=["emea"], destinations=["emea_crm"]),
        Route(alerts=["mql"], min_score=150, destinations=["big_deals"]),
        Route(accounts=["globex.example"], destinations=["default_slack"]),
    ],
)


def _alert(country: str, score: float, account: str, kind: AlertType = AlertType.MQL) -> Alert:
    base = golden_alert()
    lead = base.lead.model_copy(
        update={"attributes": {"country": country}, "score": score, "account": account}
    )
    return base.model_copy(update={"lead": lead, "type": kind, "account_id": None})


@pytest.mark.parametrize(
    ("alert", "expected"),
    [
        (_alert("DE", 100, "example.com"), ["default_webhook", "emea_crm"]),
        (_alert("US", 100, "example.com"), ["default_webhook"]),
        (_alert("US", 200, "example.com"), ["default_webhook", "big_deals"]),
        (_alert("US", 200, "example.com", AlertType.SLA_BREACH), ["default_webhook"]),
        (_alert("de", 100, "globex.example"), ["default_webhook", "default_slack", "emea_crm"]),
    ],
    ids=["territory", "no-route", "min-score", "type-filter", "account-and-territory"],
)
def test_routes_pick_destinations(alert: Alert, expected: list[str]) -> None:
    """Each matching route adds its destinations; default_webhook (unnamed) gets all."""
    assert route_alert(alert, ROUTING, ALL) == expected


def test_no_routes_send_everything_everywhere() -> None:
    """With no routes at all, every destination takes every alert."""
    assert route_alert(golden_alert(), RoutingConfig(), ALL) == ALL


def test_territory_comes_from_the_country_attribute() -> None:
    """The country attribute maps to a territory; unknown or missing gives none."""
    assert territory_of(_alert("de", 1, "x"), ROUTING) == "emea"
    assert territory_of(_alert("BR", 1, "x"), ROUTING) is None
