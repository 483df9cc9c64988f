"""The batch path's encoded events are the bytes `encode` gives for the same envelope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ingest.outgoing import Outgoing
from ingest.segment import Received, envelope_from_segment, outgoing_from_segment, user_hash
from leadpulse.kernel.schema import Consent, EventEnvelope, decode, encode

NOW = datetime(2026, 11, 23, 12, 0, 0, 123456, tzinfo=UTC)
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
BOT = "Googlebot/2.1 (+http://www.google.com/bot.html)"
KEY = b"hash-key"

MESSAGES: dict[str, dict[str, Any]] = {
    "track-skewed": {
        "type": "track",
        "event": "Signed Up",
        "userId": "u1",
        "messageId": "m1",
        "timestamp": "2026-11-23T12:30:00Z",
        "sentAt": "2026-11-23T13:00:00Z",
    },
    "page-utm-nulls": {
        "type": "page",
        "anonymousId": "a",
        "messageId": "m2",
        "name": "Home",
        "properties": {
            "url": "https://site.example/?utm_source=g&utm_campaign=c",
            "title": "T",
            "empty": None,
            "nested": [1, None, {"q": None}],
        },
    },
    "screen-context": {
        "type": "screen",
        "anonymousId": "a",
        "messageId": "m3",
        "context": {
            "campaign": {"source": "s", "medium": "m", "name": "n"},
            "locale": "fr-FR",
            "page": {"path": "/p", "referrer": "https://r.example", "url": "https://x.example"},
        },
    },
    "identify-email-hash": {
        "type": "identify",
        "userId": "u2",
        "anonymousId": "a2",
        "messageId": "m4",
        "traits": {"email": " Bob@Example.COM ", "name": "Bob"},
        "context": {"userHash": user_hash(KEY, "u2")},
    },
    "alias-anonymous": {
        "type": "alias",
        "userId": "u3",
        "anonymousId": "a3",
        "previousId": "a3",
        "messageId": "m5",
    },
    "alias-offset-time": {
        "type": "alias",
        "userId": "u3",
        "previousId": "old",
        "messageId": "m6",
        "timestamp": "2026-11-23T13:00:00+02:00",
    },
    "numbers-bot-forwarded-ip": {
        "type": "track",
        "event": "E",
        "anonymousId": 12345,
        "messageId": 99,
        "context": {"userAgent": BOT, "ip": "198.51.100.7", "traits": {"email": "c@d.example"}},
    },
    "unicode-naive-time": {
        "type": "track",
        "event": "Ünïcode ☃",
        "anonymousId": "a",
        "messageId": "m8",
        "originalTimestamp": "2026-11-23T11:59:59",
        "properties": {"big": 2**63, "f": 1.5, "small": -1e-7},
    },
}


def _received(trusted: bool, agent: str | None, now: datetime) -> Received:
    return Received(
        received_at=now,
        source="segment",
        ip="203.0.113.0",
        user_agent=agent,
        browser="Chrome" if agent else None,
        os="Windows" if agent else None,
        device="Other" if agent else None,
        bot=False,
        consent=Consent(do_not_track=trusted, tracking_allowed=not trusted),
        trusted=trusted,
        max_event_bytes=32 * 1024,
        max_skew=timedelta(days=30),
        user_hash_key=KEY,
    )


@pytest.mark.parametrize("name", sorted(MESSAGES))
@pytest.mark.parametrize("trusted", [False, True], ids=["write-key", "secret-key"])
@pytest.mark.parametrize("agent", [CHROME, None], ids=["agent", "no-agent"])
@pytest.mark.parametrize("now", [NOW, NOW.replace(microsecond=0)], ids=["micros", "whole-second"])
def test_fast_bytes_equal_the_models_encoding(
    name: str, trusted: bool, agent: str | None, now: datetime
) -> None:
    """Byte for byte what `encode(envelope_from_segment(...))` gives, keys included."""
    for options in (
        {},
        {
            "batch_sent_at": now - timedelta(hours=1),
            "batch_context": {"locale": "de", "userAgent": BOT},
            "prefix": "batch.3.",
        },
    ):
        received = _received(trusted, agent, now)
        envelope = envelope_from_segment(MESSAGES[name], received, **options)  # type: ignore[arg-type]
        outgoing = outgoing_from_segment(MESSAGES[name], received, **options)  # type: ignore[arg-type]
        assert outgoing.value == encode(envelope)
        assert decode(EventEnvelope, outgoing.value) == envelope
        assert outgoing.key == envelope.key
        assert list(outgoing.keys) == envelope.identity.keys()


def test_a_model_built_envelope_becomes_the_same_outgoing() -> None:
    """Outgoing.of, for the one-event channels, carries encode()'s bytes and the keys."""
    envelope = envelope_from_segment(MESSAGES["identify-email-hash"], _received(False, None, NOW))
    outgoing = Outgoing.of(envelope)
    assert outgoing.value == encode(envelope)
    assert outgoing.keys == ("user:u2", "email:bob@example.com", "anon:a2")
