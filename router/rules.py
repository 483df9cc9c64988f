"""Which destinations an alert goes to. Pure: values in, names out.

A route matches when every criterion it gives holds (`min_p_convert` needs the alert's
lead to carry a prediction: until a model is live, no alert matches it). An alert goes to
the destinations of every matching route, and to every destination that no route names
(so `default_webhook` and `default_slack` take every alert until a route claims them),
when its kind's `AlertType.default_route` allows.
"""

from __future__ import annotations

from collections.abc import Iterable

from leadpulse.kernel.config.routing import Route, RoutingConfig
from leadpulse.kernel.schema import Alert

__all__ = ["route_alert", "territory_of"]


def territory_of(alert: Alert, routing: RoutingConfig) -> str | None:
    """The territory of the lead's country attribute, via the config's country map."""
    country = alert.lead.attributes.get("country")
    if not country:
        return None
    return routing.territories.get(country.strip().upper())


def _p_convert_at_least(alert: Alert, floor: float) -> bool:
    """The alert's lead has a prediction (a live model) and its p_convert is >= `floor`."""
    p = (alert.lead.prediction or {}).get("p_convert")
    return isinstance(p, int | float) and p >= floor


def _matches(route: Route, alert: Alert, territory: str | None) -> bool:
    lead = alert.lead
    if route.alerts is not None and alert.type not in route.alerts:
        return False
    if route.stages is not None and lead.stage not in route.stages:
        return False
    if route.min_score is not None and lead.score < route.min_score:
        return False
    if route.min_p_convert is not None and not _p_convert_at_least(alert, route.min_p_convert):
        return False
    if route.accounts is not None:
        accounts = {a for a in (lead.account, alert.account_id) if a}
        if not accounts & set(route.accounts):
            return False
    return route.territories is None or territory in route.territories


def route_alert(alert: Alert, routing: RoutingConfig, available: Iterable[str]) -> list[str]:
    """Names of the `available` destinations this alert goes to, in a stable order."""
    territory = territory_of(alert, routing)
    named = {name for route in routing.routes for name in route.destinations}
    chosen = {
        name
        for route in routing.routes
        if _matches(route, alert, territory)
        for name in route.destinations
    }
    fallback = alert.type.default_route
    return [name for name in available if name in chosen or (fallback and name not in named)]
