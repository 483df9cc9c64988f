"""A batch judges each message on its own: what one message holds (a NUL, nesting past the
depth limit, a control character in an id or email) rejects that message alone; what is
wrong with the body as a whole still refuses the body."""

from __future__ import annotations

from typing import Any

import orjson

from tests.conftest import WRITE_KEY
from tests.integration.ingest.conftest import Edge, consume

BASIC = (WRITE_KEY, "")


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"x": value}
    return value


def _track(message_id: str, **fields: Any) -> dict[str, Any]:
    base = {"type": "track", "anonymousId": "a-1", "event": "Signed Up", "messageId": message_id}
    return base | fields


async def test_a_nul_or_too_deep_message_is_rejected_alone(edge: Edge) -> None:
    """200: the two good messages accepted, the NUL one and the deep one listed by index,
    messageId and an error naming where; only the good ones are published."""
    batch = [
        _track("good-1"),
        _track("nul-1", event="Signed\u0000Up"),
        _track("deep-1", properties=_nested(40)),
        _track("good-2", properties=_nested(12)),
    ]
    async with edge.client() as client:
        response = await client.post("/v1/b", json={"batch": batch}, auth=BASIC)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["success"] is True
    assert answer["accepted"] == 2
    assert [(r["index"], r["messageId"]) for r in answer["rejected"]] == [
        (1, "nul-1"),
        (2, "deep-1"),
    ]
    assert "batch.1.event" in answer["rejected"][0]["error"]
    assert "NUL" in answer["rejected"][0]["error"]
    assert "batch.2.properties.x" in answer["rejected"][1]["error"]
    assert "deeper" in answer["rejected"][1]["error"]
    found = await consume(edge.settings, 2)
    assert sorted(event.event_id for _, event in found) == ["good-1", "good-2"]


async def test_a_crlf_email_or_user_id_rejects_its_message_naming_the_field(edge: Edge) -> None:
    """An email or id that could start a new header is refused; its neighbours are not."""
    batch = [
        {
            "type": "identify",
            "userId": "u-1",
            "traits": {"email": "a@b.example\r\nBcc: evil@x.example"},
            "messageId": "crlf-email",
        },
        {"type": "identify", "userId": "u-2\r\n", "messageId": "crlf-user"},
        {
            "type": "identify",
            "userId": "u-3",
            "traits": {"email": "c@d.example"},
            "messageId": "ok",
        },
    ]
    async with edge.client() as client:
        response = await client.post("/v1/batch", json={"batch": batch}, auth=BASIC)
    answer = response.json()
    assert response.status_code == 200, response.text
    assert answer["accepted"] == 1
    assert [r["messageId"] for r in answer["rejected"]] == ["crlf-email", "crlf-user"]
    assert "batch.0.traits.email" in answer["rejected"][0]["error"]
    assert "batch.1.userId" in answer["rejected"][1]["error"]
    [(_, event)] = await consume(edge.settings, 1)
    assert event.identity.email == "c@d.example"


async def test_the_snippet_beacon_judges_each_message_too(edge: Edge) -> None:
    """/v1/collect: a NUL message and a CRLF email are rejected, the page beside them lands."""
    beacon = {
        "writeKey": WRITE_KEY,
        "batch": [
            {"type": "page", "anonymousId": "lp-1", "messageId": "page-1"},
            {"type": "track", "anonymousId": "lp-1", "event": "x\u0000", "messageId": "nul"},
            {
                "type": "identify",
                "anonymousId": "lp-1",
                "traits": {"email": "a@b.example\nX: y"},
                "messageId": "lf",
            },
        ],
    }
    async with edge.client() as client:
        response = await client.post(
            "/v1/collect",
            content=orjson.dumps(beacon),
            headers={"Content-Type": "text/plain;charset=UTF-8"},
        )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["accepted"] == 1
    assert [r["index"] for r in answer["rejected"]] == [1, 2]
    assert "batch.2.traits.email" in answer["rejected"][1]["error"]
    [(_, event)] = await consume(edge.settings, 1)
    assert event.event_id == "page-1"


async def test_what_is_wrong_with_the_whole_body_still_refuses_it(edge: Edge) -> None:
    """NaN anywhere, a lone surrogate, or a NUL outside the messages: 400 for the body."""
    good = orjson.dumps(_track("m-1")).decode()
    bodies = {
        "body": f'{{"batch": [{good}, {{"n": NaN}}]}}',
        "context.x": f'{{"context": {{"x": "a\\u0000"}}, "batch": [{good}]}}',
    }
    async with edge.client() as client:
        for field, raw in bodies.items():
            response = await client.post(
                "/v1/batch",
                content=raw.encode(),
                auth=BASIC,
                headers={"Content-Type": "application/json"},
            )
            assert response.status_code == 400, response.text
            assert response.json()["error"]["field"] == field
