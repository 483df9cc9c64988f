"""HubSpot's v3 signature: what passes and why each forgery or replay is refused."""

from __future__ import annotations

import time

import pytest

from ingest.crm_inbound.hubspot_signature import SignatureRefused, signed_uri, verify_v3
from tests.vendors.hubspot_signing import sign_v3

SECRET = "c3a9e9d2-client-secret"
URI = "https://leads.example.com/v1/crm/hubspot/webhooks"
BODY = b'[{"eventId":1,"subscriptionType":"deal.propertyChange","propertyValue":"closedwon"}]'


def _now_ms() -> int:
    return int(time.time() * 1000)


def _verify(**changes: object) -> None:
    now = _now_ms()
    timestamp = str(now)
    values: dict[str, object] = {
        "client_secret": SECRET,
        "method": "POST",
        "uri": URI,
        "body": BODY,
        "timestamp": timestamp,
        "signature": sign_v3(SECRET, "POST", URI, BODY, timestamp),
        "now_ms": now,
    }
    values.update(changes)
    verify_v3(**values)  # type: ignore[arg-type]


def test_a_request_signed_as_hubspot_documents_passes() -> None:
    """method + URI + body + timestamp, HMAC-SHA256 with the client secret, base64."""
    _verify()


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"body": BODY.replace(b"closedwon", b"closedlost")}, "does not match"),
        ({"client_secret": "another-app"}, "does not match"),
        ({"uri": URI + "?extra=1"}, "does not match"),
        ({"method": "PUT"}, "does not match"),
        ({"signature": "x" * 44}, "does not match"),
        ({"signature": "é" * 44}, "does not match"),
        ({"signature": None}, "needed"),
        ({"timestamp": None}, "needed"),
        ({"timestamp": "yesterday"}, "milliseconds"),
    ],
    ids=[
        "tampered-body",
        "wrong-secret",
        "other-uri",
        "other-method",
        "forged",
        "non-ascii-header",
        "no-signature",
        "no-timestamp",
        "timestamp-not-a-number",
    ],
)
def test_forgeries_are_refused_with_the_reason(changes: dict[str, object], why: str) -> None:
    """Each way a request can be forged or damaged is refused, saying how."""
    with pytest.raises(SignatureRefused, match=why):
        _verify(**changes)


@pytest.mark.parametrize("skew_minutes", [-6, 6], ids=["stale", "future"])
def test_a_timestamp_more_than_five_minutes_away_is_refused(skew_minutes: int) -> None:
    """A captured request replayed later (or dated ahead) is refused even when signed."""
    now = _now_ms()
    timestamp = str(now + skew_minutes * 60_000)
    with pytest.raises(SignatureRefused, match="5 minutes"):
        _verify(timestamp=timestamp, signature=sign_v3(SECRET, "POST", URI, BODY, timestamp))


def test_a_timestamp_within_five_minutes_passes() -> None:
    """HubSpot's clock and ours may differ by seconds: four minutes old still passes."""
    now = _now_ms()
    timestamp = str(now - 4 * 60_000)
    _verify(timestamp=timestamp, signature=sign_v3(SECRET, "POST", URI, BODY, timestamp))


def test_the_signed_uri_decodes_the_characters_hubspot_decodes() -> None:
    """HubSpot signs the URI with %3A, %2F, %3F, %40, %21, %24, %27, %28, %29, %2A, %2C and
    %3B decoded; every other escape stays as sent."""
    uri = signed_uri(
        "https://leads.example.com/",
        "/v1/crm/hubspot/webhooks",
        "next=%2Fa%3Ab%40c%21%24%27%28%29%2a%2C%3B%3Fd&space=%20",
    )
    assert (
        uri == "https://leads.example.com/v1/crm/hubspot/webhooks?next=/a:b@c!$'()*,;?d&space=%20"
    )
