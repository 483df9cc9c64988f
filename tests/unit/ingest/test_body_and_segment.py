"""Strict JSON parsing, and Segment messages turned into envelopes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ingest.body import check_json, parse_json
from ingest.errors import BadInput
from ingest.segment import Received, envelope_from_segment
from leadpulse.kernel.schema import Consent

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _received(trusted: bool = False) -> Received:
    return Received(
        received_at=NOW,
        source="segment",
        ip="203.0.113.0",
        user_agent=None,
        browser=None,
        os=None,
        device=None,
        bot=False,
        consent=Consent(),
        trusted=trusted,
        max_event_bytes=32 * 1024,
        max_skew=timedelta(days=30),
    )


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b'{"a": NaN}', "bad_json"),
        (b'{"a": Infinity}', "bad_json"),
        (b'"\\udc00"', "bad_json"),
        (b"{'a': 1}", "bad_json"),
        (b"   ", "empty"),
        (b'{"a": "x\\u0000y"}', "nul"),
        (b"[" * 20 + b"]" * 20, "too_deep"),
    ],
    ids=["nan", "infinity", "lone-surrogate", "single-quotes", "blank", "nul", "deep"],
)
def test_strict_parsing_refuses_by_name(raw: bytes, code: str) -> None:
    """NaN, lone surrogates, NULs and deep nesting are refused with their own code."""
    with pytest.raises(BadInput) as caught:
        parse_json(raw)
    assert caught.value.code == code


def test_the_walk_names_the_path_of_a_nul() -> None:
    """The error names where the NUL was, for the client to fix."""
    with pytest.raises(BadInput) as caught:
        check_json({"batch": [{"properties": {"x": "a\x00"}}]})
    assert caught.value.field == "batch.0.properties.x"


def test_message_id_is_the_event_id_and_skew_is_corrected() -> None:
    """timestamp + (received_at - sentAt): a client clock 1 h fast is put right."""
    message = {
        "type": "track",
        "event": "Signed Up",
        "userId": "u1",
        "messageId": "abc",
        "timestamp": "2026-11-23T12:30:00Z",
        "sentAt": "2026-11-23T13:00:00Z",
    }
    event = envelope_from_segment(message, _received())
    assert event.event_id == "abc"
    assert event.timestamp == NOW - timedelta(minutes=30)
    assert event.key == "user:u1"


def test_a_missing_message_id_gets_a_uuid() -> None:
    """Without messageId, the edge makes an id."""
    event = envelope_from_segment({"type": "page", "anonymousId": "a"}, _received())
    assert len(event.event_id) == 36


def test_secret_key_sources_are_verified_and_write_key_sources_claimed() -> None:
    """Identity trust follows the key the source used."""
    message = {"type": "identify", "userId": "u", "traits": {"email": "a@b.example"}}
    assert envelope_from_segment(message, _received(True)).flags.identity_trust == "verified"
    assert envelope_from_segment(message, _received(False)).flags.identity_trust == "claimed"


def test_alias_names_the_identity_merged_away() -> None:
    """An alias of the browser's anonymous id merges `anon:<id>` into the user."""
    event = envelope_from_segment(
        {"type": "alias", "userId": "u", "anonymousId": "a", "previousId": "a"}, _received()
    )
    assert event.previous_id == "anon:a"


def test_an_oversized_event_is_refused_with_its_size() -> None:
    """An event over 32 KB is refused with code too_large."""
    message = {"type": "track", "event": "x", "userId": "u", "properties": {"p": "y" * 40000}}
    with pytest.raises(BadInput) as caught:
        envelope_from_segment(message, _received())
    assert caught.value.code == "too_large"


def test_the_person_agent_in_context_decides_the_bot_flag() -> None:
    """context.userAgent (the person's browser) wins over the request's own header."""
    headless = "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/131.0.0.0 Safari/537.36"
    person = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0.0.0 Safari/537.36"
    flagged = envelope_from_segment(
        {"type": "page", "anonymousId": "a", "context": {"userAgent": headless}}, _received()
    )
    assert flagged.flags.bot is True
    kept = envelope_from_segment(
        {"type": "page", "anonymousId": "a", "context": {"userAgent": person}}, _received()
    )
    assert (kept.flags.bot, kept.context.browser) == (False, "Chrome")


def test_a_backend_user_hash_makes_a_write_key_identity_verified() -> None:
    """context.userHash = HMAC(secret key, userId) verifies; a wrong one stays claimed."""
    from dataclasses import replace

    from ingest.segment import user_hash

    received = replace(_received(), user_hash_key=b"sk")
    good = {"type": "identify", "userId": "u7", "context": {"userHash": user_hash(b"sk", "u7")}}
    bad = {"type": "identify", "userId": "u7", "context": {"userHash": user_hash(b"x", "u7")}}
    by_email = {
        "type": "identify",
        "anonymousId": "a",
        "traits": {"email": "Ada@Example.com"},
        "context": {"userHash": user_hash(b"sk", "ada@example.com")},
    }
    assert envelope_from_segment(good, received).flags.identity_trust == "verified"
    assert envelope_from_segment(bad, received).flags.identity_trust == "claimed"
    assert envelope_from_segment(by_email, received).flags.identity_trust == "verified"


def test_a_server_source_forwards_its_visitor_ip_anonymized() -> None:
    """context.ip counts from secret-key sources (cut to /24); a browser's is ignored."""
    message = {"type": "page", "anonymousId": "a", "context": {"ip": "198.51.100.23"}}
    assert envelope_from_segment(message, _received(True)).context.ip == "198.51.100.0"
    assert envelope_from_segment(message, _received(False)).context.ip == "203.0.113.0"
