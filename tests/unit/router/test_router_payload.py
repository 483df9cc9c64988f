"""Slack gets Block Kit naming the lead, account, score, top reasons, stage and a link."""

from __future__ import annotations

import orjson

from leadpulse.kernel.schema import Alert
from router.payload import slack_message, webhook_body
from tests.unit.router.alerts import golden_alert


def _all_text(message: dict[str, object]) -> str:
    return orjson.dumps(message).decode()


def test_slack_message_names_what_sales_needs() -> None:
    """Lead, account, score, top three reasons, consideration, interests, dashboard link."""
    message = slack_message(golden_alert(), "http://127.0.0.1:8000/")
    text = _all_text(message)
    for expected in (
        "ann@example.com",
        "example.com",
        "112.5",
        "demo_requested",
        "pricing_page",
        "senior_title",
        "late",
        "pricing, demo, case-study",
        "http://127.0.0.1:8000/dashboard/leads/ld_ff38da82814105e9bdbe",
    ):
        assert expected in text
    assert {block["type"] for block in message["blocks"]} >= {"header", "section", "actions"}


def test_slack_message_shows_at_most_three_reasons() -> None:
    """Only the three strongest reasons are listed."""
    alert = golden_alert()
    extra = alert.lead.top_reasons[0].model_copy(update={"rule": "tiny_rule", "points": 1.0})
    lead = alert.lead.model_copy(update={"top_reasons": [*alert.lead.top_reasons, extra]})
    text = _all_text(slack_message(alert.model_copy(update={"lead": lead}), "http://x"))
    assert "tiny_rule" not in text


def test_slack_text_is_escaped() -> None:
    """A reason with <, > or & cannot inject Slack links or mentions."""
    alert = golden_alert().model_copy(update={"reason": "<!channel> & <http://evil|x>"})
    text = _all_text(slack_message(alert, "http://x"))
    assert "<!channel>" not in text
    assert "&lt;!channel&gt; &amp;" in text


def test_webhook_body_is_the_alert_json() -> None:
    """The webhook body parses back into the same Alert."""
    alert = golden_alert()
    assert Alert.model_validate(orjson.loads(webhook_body(alert))) == alert
