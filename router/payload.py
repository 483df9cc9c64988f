"""What a destination receives: the webhook JSON body and the Slack Block Kit message. Pure."""

from __future__ import annotations

from typing import Any

from leadpulse.kernel.schema import Alert, encode

__all__ = ["slack_message", "webhook_body"]


def webhook_body(alert: Alert) -> bytes:
    """The alert as JSON (DESIGN.md "Alert body"); the bytes that are signed and sent."""
    return encode(alert)


def _escape(text: str) -> str:
    # Slack mrkdwn treats these three as control characters.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _points(value: float) -> str:
    return f"{value:+g}"


def slack_message(alert: Alert, base_url: str) -> dict[str, Any]:
    """Block Kit: lead and account, score with its top three reasons, stage, interests, link."""
    lead = alert.lead
    name = lead.email or lead.lead_id
    who = _escape(name)
    account = _escape(lead.account or alert.account_id or "unknown account")
    title = alert.type.label
    link = f"{base_url.rstrip('/')}/dashboard/leads/{lead.lead_id}"
    reasons = [
        f"• `{_escape(r.rule)}` {_points(r.points)}"
        for r in sorted(lead.top_reasons, key=lambda r: (-abs(r.points), r.rule))[:3]
    ]
    interests = ", ".join(_escape(i) for i in lead.interests) or "none yet"
    fields = [
        f"*Lead*\n{who}",
        f"*Account*\n{account}",
        f"*Score*\n{lead.score:g} (fit {lead.fit:g}, engagement {lead.engagement:g})",
        f"*Stage*\n{_escape(lead.stage)}",
        f"*Consideration*\n{_escape(lead.consideration or 'unknown')}",
        f"*Interests*\n{interests}",
    ]
    if alert.owner:
        fields.append(f"*Owner*\n{_escape(alert.owner)}")
    verified = "verified" if alert.identity_verified else "claimed"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{title}: {name}"[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _escape(alert.reason)}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "*Top reasons*\n" + ("\n".join(reasons) or "none recorded"),
            },
        },
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Open lead"},
                    "url": link,
                    "action_id": "open_lead",
                }
            ],
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"alert `{_escape(alert.alert_id)}` · identity {verified}",
                }
            ],
        },
    ]
    text = f"{title}: {who} ({account}), score {lead.score:g} <{link}|open>"
    return {"text": text, "blocks": blocks}
