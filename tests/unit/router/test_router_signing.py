"""Webhook signatures follow Standard Webhooks and verify with the library's verify."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from router.signing import signature_headers, split_secrets
from tests.conftest import WEBHOOK_SECRET

OTHER = "whsec_c2Vjb25kLXNlY3JldC1mb3ItdGhlLXJvdGF0aW9u"
BODY = b'{"alert_id":"al_1","type":"mql"}'


def test_headers_verify_and_carry_the_alert_id() -> None:
    """webhook-id is the alert id and Webhook(secret).verify accepts the signature."""
    headers = signature_headers([WEBHOOK_SECRET], "al_1", datetime.now(UTC), BODY)
    assert headers["webhook-id"] == "al_1"
    assert Webhook(WEBHOOK_SECRET).verify(BODY, headers) == {"alert_id": "al_1", "type": "mql"}


def test_both_secrets_sign_during_a_rotation() -> None:
    """Two secrets give two signatures: receivers on the old or the new one both verify."""
    headers = signature_headers(
        split_secrets(f"{WEBHOOK_SECRET}  {OTHER}"), "al_1", datetime.now(UTC), BODY
    )
    Webhook(WEBHOOK_SECRET).verify(BODY, headers)
    Webhook(OTHER).verify(BODY, headers)


def test_an_altered_body_does_not_verify() -> None:
    """A body changed in transit fails verification."""
    headers = signature_headers([WEBHOOK_SECRET], "al_1", datetime.now(UTC), BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(WEBHOOK_SECRET).verify(BODY.replace(b"mql", b"sla"), headers)


def test_timestamp_is_utc_seconds() -> None:
    """webhook-timestamp is the attempt's Unix time in whole seconds."""
    when = datetime(2026, 11, 23, 10, 0, 5, 900000, tzinfo=UTC)
    headers = signature_headers([WEBHOOK_SECRET], "al_1", when, BODY)
    assert headers["webhook-timestamp"] == str(int(when.timestamp()))
