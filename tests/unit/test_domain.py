"""The domain's words, enumerated: every alert kind has a title, a route default and a
payload (webhook and Slack, through the router's real code) and is raised by the scorer;
every stage has a rank and a title; the wire values never change."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from pydantic import ValidationError

from ingest.dashboard.layout import esc
from ingest.dashboard.lead_alerts import kind_cell
from leadpulse.kernel.config.connectors import HubSpotConfig
from leadpulse.kernel.config.routing import Route, RoutingConfig
from leadpulse.kernel.domain import AlertType, CrmOutcome, Stage
from leadpulse.kernel.schema import ALERT_TYPES, CRM_OUTCOMES, STAGES, Alert
from router.payload import slack_message, webhook_body
from router.rules import route_alert

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "alert.json"
SCORER = Path(__file__).resolve().parents[2] / "scorer"
DEFAULTS = ["default_webhook", "default_slack"]


def _sample(kind: AlertType) -> Alert:
    """The golden alert as this kind, parsed as the router parses what it consumes."""
    return Alert.model_validate_json(
        orjson.dumps({**orjson.loads(GOLDEN.read_bytes()), "type": kind})
    )


def test_wire_values_stay_as_they_were() -> None:
    """JSON, Valkey keys and stored state hold these strings: new ones may come, none of
    these may change, go or (stages) swap places."""
    known = [
        "visitor",
        "lead",
        "nurturing",
        "mql",
        "sal",
        "sql",
        "opportunity",
        "customer",
        "recycle",
        "dead_end",
    ]
    # The funnel report lists stages in this order.
    assert [str(s) for s in STAGES if s in known] == known
    assert {str(a) for a in ALERT_TYPES} >= {
        "mql",
        "lost_deal_returned",
        "sla_breach",
        "buying_group",
    }
    assert {str(o) for o in CRM_OUTCOMES} >= {
        "accepted",
        "qualified",
        "opportunity",
        "won",
        "lost",
        "not_now",
        "disqualified",
    }
    assert Stage.MQL == "mql" and f"{AlertType.SLA_BREACH}" == "sla_breach"
    assert orjson.dumps([Stage.DEAD_END, CrmOutcome.NOT_NOW]) == b'["dead_end","not_now"]'


@pytest.mark.parametrize("kind", list(AlertType), ids=str)
def test_every_alert_kind_has_a_title_a_route_default_and_a_payload(kind: AlertType) -> None:
    """Title and summary set; the default destinations take it as its route default says;
    the webhook body carries its value; Slack's header and text start with its title; the
    dashboard's alert tables explain it on hover."""
    assert kind.label.strip() and kind.summary.strip()
    assert isinstance(kind.default_route, bool)
    alert = _sample(kind)
    expected = DEFAULTS if kind.default_route else []
    assert route_alert(alert, RoutingConfig(), DEFAULTS) == expected
    body = orjson.loads(webhook_body(alert))
    assert body["type"] == kind.value
    assert Alert.model_validate(body) == alert
    slack = slack_message(alert, "http://127.0.0.1:8000")
    header = next(block for block in slack["blocks"] if block["type"] == "header")
    assert header["text"]["text"].startswith(f"{kind.label}: ")
    assert slack["text"].startswith(f"{kind.label}: ")
    assert f'title="{esc(kind.summary)}">{kind.value}<' in kind_cell(alert.type)


@pytest.mark.parametrize("kind", list(AlertType), ids=str)
def test_every_alert_kind_is_routable_and_raised_by_the_scorer(kind: AlertType) -> None:
    """A route may name it in `alerts:`, and some scorer module raises it."""
    assert Route(alerts=[kind.value], destinations=["d"]).alerts == [kind]
    raised = [p for p in SCORER.rglob("*.py") if f"AlertType.{kind.name}" in p.read_text()]
    assert raised, f"no scorer module raises {kind}"


def test_a_route_naming_an_unknown_alert_kind_or_stage_is_refused() -> None:
    """Config validation knows the words: a typo fails at load, naming the field."""
    with pytest.raises(ValidationError, match=r"alerts\.0"):
        Route(alerts=["mq1"], destinations=["d"])
    with pytest.raises(ValidationError, match=r"stages\.0"):
        Route(stages=["qualified"], destinations=["d"])


def test_every_stage_has_a_rank_a_title_and_a_place() -> None:
    """Ranks follow the funnel from 0; each stage has a title, a phase, a tone and a class."""
    assert [s.rank for s in Stage] == list(range(len(Stage)))
    for stage in Stage:
        assert stage.label.strip()
        assert stage.phase in ("marketing", "sales", "side")
        assert stage.tone in ("neutral", "attention", "success", "setback", "inactive")
        assert stage.css_class == stage.value
    assert set(HubSpotConfig().lifecycle_map) == set(Stage), "a stage has no HubSpot default"
    main = [s for s in Stage if s.phase != "side"]
    assert main[0] == Stage.VISITOR and main[-1] == Stage.CUSTOMER


def test_crm_outcomes_move_leads_where_the_stage_machine_says() -> None:
    """Each outcome names the stage it moves a lead to (DESIGN.md)."""
    assert {str(o): str(o.stage) for o in CrmOutcome} == {
        "accepted": "sal",
        "qualified": "sql",
        "opportunity": "opportunity",
        "won": "customer",
        "lost": "recycle",
        "not_now": "recycle",
        "disqualified": "dead_end",
    }
