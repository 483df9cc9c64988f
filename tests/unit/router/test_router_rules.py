"""Routing rules choose destinations; unnamed destinations take every alert."""

from __future__ import annotations

import pytest

from leadpulse.kernel.config.routing import Route, RoutingConfig
from leadpulse.kernel.schema import Alert, AlertType
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


AE = RoutingConfig(routes=[Route(min_p_convert=0.3, destinations=["big_deals"])])


def _predicted(p_convert: float | None) -> Alert:
    base = golden_alert()
    prediction = None if p_convert is None else {"p_convert": p_convert, "tier": 1}
    return base.model_copy(update={"lead": base.lead.model_copy(update={"prediction": prediction})})


@pytest.mark.parametrize(
    ("p_convert", "expected"),
    [
        (0.45, ["default_webhook", "big_deals"]),
        (0.3, ["default_webhook", "big_deals"]),
        (0.29, ["default_webhook"]),
        (None, ["default_webhook"]),
    ],
    ids=["above", "at-the-floor", "below", "no-prediction"],
)
def test_min_p_convert_routes_likely_buyers_to_an_ae(
    p_convert: float | None, expected: list[str]
) -> None:
    """`p_convert >= 0.3` goes to the AE's destination; an alert without a prediction (no
    live model yet) does not match a route that asks for one."""
    assert route_alert(_predicted(p_convert), AE, ["default_webhook", "big_deals"]) == expected


def test_no_routes_send_everything_everywhere() -> None:
    """With no routes at all, every destination takes every alert."""
    assert route_alert(golden_alert(), RoutingConfig(), ALL) == ALL


def test_territory_comes_from_the_country_attribute() -> None:
    """The country attribute maps to a territory; unknown or missing gives none."""
    assert territory_of(_alert("de", 1, "x"), ROUTING) == "emea"
    assert territory_of(_alert("BR", 1, "x"), ROUTING) is None
