"""Bad input and wrong keys: always a 4xx JSON body naming the field or limit, never a 5xx."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import SECRET_KEY, WRITE_KEY
from tests.integration.ingest.conftest import Edge, consume

BASIC = (WRITE_KEY, "")
SECRET = {"Authorization": f"Bearer {SECRET_KEY}"}
WRITE_BEARER = {"Authorization": f"Bearer {WRITE_KEY}"}
TRACK = {"anonymousId": "a-1", "event": "Signed Up"}
CRLF_EMAIL = "a@b.example\r\nBcc: evil@x.example"


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"x": value}
    return value


# (id, path, raw body or JSON, auth, headers, status, field)
CASES: list[tuple[str, str, Any, Any, dict[str, str], int, str | None]] = [
    ("no key", "/v1/track", TRACK, None, {}, 401, None),
    ("wrong basic key", "/v1/track", TRACK, ("wk_nope", ""), {}, 403, "writeKey"),
    ("wrong body key", "/v1/track", {**TRACK, "writeKey": "wk_nope"}, None, {}, 403, "writeKey"),
    ("body key not a string", "/v1/track", {**TRACK, "writeKey": 7}, None, {}, 403, "writeKey"),
    ("write key on CRM", "/v1/crm/events", {}, None, WRITE_BEARER, 403, "Authorization"),
    ("no key on CRM", "/v1/crm/events", {}, None, {}, 401, None),
    ("write key on webinar", "/v1/webhooks/webinar", {}, None, WRITE_BEARER, 403, "Authorization"),
    ("write key on links", "/v1/links", {}, None, WRITE_BEARER, 403, "Authorization"),
    (
        "event over 32 KB",
        "/v1/track",
        {**TRACK, "properties": {"x": "y" * 40_000}},
        BASIC,
        {},
        413,
        "body",
    ),
    ("batch over 500 KB", "/v1/batch", {"batch": [{"x": "y" * 600_000}]}, BASIC, {}, 413, "body"),
    ("malformed JSON", "/v1/track", b'{"event": "x",', BASIC, {}, 400, "body"),
    ("empty body", "/v1/track", b"", BASIC, {}, 400, "body"),
    (
        "NaN",
        "/v1/track",
        b'{"anonymousId": "a", "event": "x", "properties": {"n": NaN}}',
        BASIC,
        {},
        400,
        "body",
    ),
    (
        "lone surrogate",
        "/v1/track",
        b'{"anonymousId": "a", "event": "\\ud800"}',
        BASIC,
        {},
        400,
        "body",
    ),
    ("absurd nesting", "/v1/track", {**TRACK, "properties": _nested(40)}, BASIC, {}, 400, None),
    (
        "NUL in event name",
        "/v1/track",
        {**TRACK, "event": "Signed\u0000Up"},
        BASIC,
        {},
        400,
        "event",
    ),
    (
        "raw NUL byte",
        "/v1/track",
        b'{"anonymousId": "a",\x00 "event": "x"}',
        BASIC,
        {},
        400,
        "body",
    ),
    ("event not a string", "/v1/track", {**TRACK, "event": 123}, BASIC, {}, 400, "event"),
    (
        "properties not an object",
        "/v1/track",
        {**TRACK, "properties": "x"},
        BASIC,
        {},
        400,
        "properties",
    ),
    ("userId an object", "/v1/track", {"userId": {}, "event": "x"}, BASIC, {}, 400, "userId"),
    ("nobody", "/v1/track", {"event": "x"}, BASIC, {}, 400, "userId"),
    (
        "bad timestamp",
        "/v1/track",
        {**TRACK, "timestamp": "yesterday"},
        BASIC,
        {},
        400,
        "timestamp",
    ),
    (
        "ancient timestamp",
        "/v1/track",
        {**TRACK, "timestamp": "2001-01-01T00:00:00Z"},
        BASIC,
        {},
        400,
        "timestamp",
    ),
    (
        "bad email trait",
        "/v1/identify",
        {"userId": "u", "traits": {"email": "nope"}},
        BASIC,
        {},
        400,
        "traits.email",
    ),
    (
        "CRLF in an email trait",
        "/v1/identify",
        {"userId": "u", "traits": {"email": CRLF_EMAIL}},
        BASIC,
        {},
        400,
        "traits.email",
    ),
    (
        "CRLF in context.traits.email",
        "/v1/page",
        {"anonymousId": "a", "context": {"traits": {"email": CRLF_EMAIL}}},
        BASIC,
        {},
        400,
        "context.traits.email",
    ),
    (
        "LF in userId",
        "/v1/track",
        {"userId": "u-1\nBcc: x", "event": "x"},
        BASIC,
        {},
        400,
        "userId",
    ),
    ("tab in anonymousId", "/v1/page", {"anonymousId": "a\t1"}, BASIC, {}, 400, "anonymousId"),
    (
        "CR in groupId",
        "/v1/group",
        {"userId": "u", "groupId": "acme\r\nX: y"},
        BASIC,
        {},
        400,
        "groupId",
    ),
    (
        "CRLF in a CRM email",
        "/v1/crm/events",
        {
            "event_id": "e",
            "type": "won",
            "email": CRLF_EMAIL,
            "occurred_at": "2026-01-01T00:00:00Z",
        },
        None,
        SECRET,
        400,
        "email",
    ),
    (
        "CRLF in a CRM lead id",
        "/v1/crm/events",
        {
            "event_id": "e",
            "type": "won",
            "lead_id": "L1\r\nX",
            "occurred_at": "2026-01-01T00:00:00Z",
        },
        None,
        SECRET,
        400,
        "lead_id",
    ),
    (
        "CRLF in a webinar email",
        "/v1/webhooks/webinar",
        {
            "event_id": "e",
            "type": "attended",
            "email": CRLF_EMAIL,
            "webinar": "w",
            "occurred_at": "2026-01-01T00:00:00Z",
        },
        None,
        SECRET,
        400,
        "email",
    ),
    ("body is a list", "/v1/track", [TRACK], BASIC, {}, 400, "body"),
    ("batch not a list", "/v1/batch", {"batch": {"a": 1}}, BASIC, {}, 400, "batch"),
    ("alias without previousId", "/v1/alias", {"userId": "u"}, BASIC, {}, 400, "previousId"),
    (
        "CRM bad outcome",
        "/v1/crm/events",
        {
            "event_id": "e",
            "type": "maybe",
            "email": "a@b.example",
            "occurred_at": "2026-01-01T00:00:00Z",
        },
        None,
        SECRET,
        400,
        "type",
    ),
    (
        "CRM nobody",
        "/v1/crm/events",
        {"event_id": "e", "type": "won", "occurred_at": "2026-01-01T00:00:00Z"},
        None,
        SECRET,
        400,
        "email",
    ),
    (
        "CRM bad time",
        "/v1/crm/events",
        {"event_id": "e", "type": "won", "email": "a@b.example", "occurred_at": "soon"},
        None,
        SECRET,
        400,
        "occurred_at",
    ),
    (
        "webinar without webinar",
        "/v1/webhooks/webinar",
        {
            "event_id": "e",
            "type": "attended",
            "email": "a@b.example",
            "occurred_at": "2026-01-01T00:00:00Z",
        },
        None,
        SECRET,
        400,
        "webinar",
    ),
    (
        "link to //evil",
        "/v1/links",
        {"url": "//evil.example/x", "email": "a@b.example"},
        None,
        SECRET,
        400,
        "url",
    ),
    (
        "link to javascript:",
        "/v1/links",
        {"url": "javascript:alert(1)", "email": "a@b.example"},
        None,
        SECRET,
        400,
        "url",
    ),
    (
        "link with backslashes",
        "/v1/links",
        {"url": "https:\\\\evil.example", "email": "a@b.example"},
        None,
        SECRET,
        400,
        "url",
    ),
    (
        "link with one slash",
        "/v1/links",
        {"url": "https:/evil.example", "email": "a@b.example"},
        None,
        SECRET,
        400,
        "url",
    ),
    (
        "link with bad email",
        "/v1/links",
        {"url": "https://site.example", "email": "x"},
        None,
        SECRET,
        400,
        "email",
    ),
    (
        "link with bad expiry",
        "/v1/links",
        {"url": "https://site.example", "email": "a@b.example", "expires_in_days": -1},
        None,
        SECRET,
        400,
        "expires_in_days",
    ),
    (
        "link with unknown field",
        "/v1/links",
        {"url": "https://site.example", "email": "a@b.example", "redirect": "x"},
        None,
        SECRET,
        400,
        "redirect",
    ),
]


@pytest.mark.parametrize(
    ("path", "body", "auth", "headers", "status", "field"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
async def test_bad_requests_get_a_4xx_naming_the_field(
    edge: Edge,
    path: str,
    body: Any,
    auth: Any,
    headers: dict[str, str],
    status: int,
    field: str | None,
) -> None:
    """Each bad request is answered with its 4xx and `{"error": {"code", "message", "field"}}`."""
    async with edge.client() as client:
        if isinstance(body, bytes):
            response = await client.post(
                path,
                content=body,
                auth=auth,
                headers=headers | {"Content-Type": "application/json"},
            )
        else:
            response = await client.post(path, json=body, auth=auth, headers=headers)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] and error["message"]
    if field is not None:
        assert error["field"] == field


async def test_absurd_nesting_is_refused_by_name(edge: Edge) -> None:
    """A 40-deep object is refused with code too_deep and the path where it went too deep."""
    async with edge.client() as client:
        response = await client.post(
            "/v1/track", json={**TRACK, "properties": _nested(40)}, auth=BASIC
        )
    error = response.json()["error"]
    assert error["code"] == "too_deep"
    assert error["field"].startswith("properties.x.x")


async def test_one_bad_event_in_a_batch_does_not_drop_the_good_ones(edge: Edge) -> None:
    """200 with accepted=2 and the bad one listed by index, messageId and reason."""
    batch = [
        {"type": "track", "anonymousId": "a-1", "event": "Signed Up", "messageId": "good-1"},
        {"type": "track", "anonymousId": "a-1", "event": 42, "messageId": "bad-1"},
        {"type": "page", "anonymousId": "a-1", "messageId": "good-2"},
        {"type": "group", "anonymousId": "a-1", "messageId": "bad-2"},
    ]
    async with edge.client() as client:
        response = await client.post("/v1/batch", json={"batch": batch}, auth=BASIC)
    assert response.status_code == 200
    answer = response.json()
    assert answer["success"] is True
    assert answer["accepted"] == 2
    assert [(r["index"], r["messageId"]) for r in answer["rejected"]] == [
        (1, "bad-1"),
        (3, "bad-2"),
    ]
    assert "batch.1.event" in answer["rejected"][0]["error"]
    found = await consume(edge.settings, 2)
    assert sorted(event.event_id for _, event in found) == ["good-1", "good-2"]


async def test_outside_input_cannot_publish_control_messages(edge: Edge) -> None:
    """`claim`, `merge` and `forget` types from outside are rejected, never published."""
    batch = [
        {"type": kind, "anonymousId": "a-1", "messageId": f"m-{kind}"}
        for kind in ("claim", "merge", "forget", "crm")
    ]
    async with edge.client() as client:
        response = await client.post("/v1/batch", json={"batch": batch}, auth=BASIC)
    assert response.json()["accepted"] == 0
    assert len(response.json()["rejected"]) == 4


async def test_unknown_paths_and_methods_answer_json_4xx(edge: Edge) -> None:
    """A wrong path is a JSON 404 and a wrong method a JSON 405, not an HTML page."""
    async with edge.client() as client:
        missing = await client.get("/v1/nothing-here")
        wrong_method = await client.get("/v1/track")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert wrong_method.status_code == 405
