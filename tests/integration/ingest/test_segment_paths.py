"""Every path the Segment spec and its SDKs use: the short names analytics.js posts to
answer exactly as the long ones (auth, limits, strict parsing), text/plain bodies too."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pytest

from tests.conftest import SECRET_KEY, WRITE_KEY
from tests.integration.ingest.conftest import Edge, consume

PERSON_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
SHORT = {
    "/v1/t": {"event": "Demo Requested"},
    "/v1/i": {"traits": {"email": "ana@acme.example"}},
    "/v1/p": {"name": "Pricing", "properties": {"path": "/pricing"}},
    "/v1/s": {"name": "Home"},
    "/v1/g": {"groupId": "acme-co", "traits": {"industry": "Manufacturing"}},
    "/v1/a": {"previousId": "old-user"},
}


def _message(**fields: Any) -> dict[str, Any]:
    return {"messageId": uuid.uuid4().hex, "anonymousId": "anon-7", "userId": "u-7", **fields}


async def test_each_short_path_takes_its_message_type(edge: Edge) -> None:
    """/v1/t, /v1/i, /v1/p, /v1/s, /v1/g, /v1/a each publish one event of their type."""
    sent: dict[str, str] = {}
    async with edge.client() as client:
        for path, fields in SHORT.items():
            message = _message(**fields)
            response = await client.post(path, json=message, auth=edge.write_auth())
            assert response.status_code == 200, (path, response.text)
            assert response.json() == {"success": True}
            sent[message["messageId"]] = path
    found = {event.event_id: event for _, event in await consume(edge.settings, len(SHORT))}
    types = {sent[i]: (event.type, event.event) for i, event in found.items()}
    assert types == {
        "/v1/t": ("track", "Demo Requested"),
        "/v1/i": ("identify", None),
        "/v1/p": ("page", "Pricing"),
        "/v1/s": ("page", "Home"),
        "/v1/g": ("group", None),
        "/v1/a": ("alias", None),
    }
    [group] = [e for e in found.values() if e.type == "group"]
    assert group.group_id == "acme-co"
    assert group.traits == {"industry": "Manufacturing"}
    assert group.identity.email is None


async def test_the_short_batch_path_takes_a_text_plain_body(edge: Edge) -> None:
    """analytics.js posts `/v1/b` (and single events) as text/plain: both are accepted."""
    batch = {"batch": [_message(type="page"), _message(type="group", groupId="g-1")]}
    async with edge.client() as client:
        response = await client.post(
            "/v1/b",
            content=orjson.dumps(batch),
            headers={"Content-Type": "text/plain", "User-Agent": PERSON_UA},
            auth=edge.write_auth(),
        )
        single = await client.post(
            "/v1/t",
            content=orjson.dumps(_message(event="Signed Up")),
            headers={"Content-Type": "text/plain"},
            auth=edge.write_auth(),
        )
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 2
    assert single.status_code == 200, single.text
    found = [event for _, event in await consume(edge.settings, 3)]
    assert sorted(e.type for e in found) == ["group", "page", "track"]


@pytest.mark.parametrize("path", [*SHORT, "/v1/b", "/v1/group"])
async def test_short_paths_need_the_write_key(edge: Edge, path: str) -> None:
    """No key is 401, a wrong key 403: as on the long names."""
    async with edge.client() as client:
        missing = await client.post(path, json=_message(event="x"))
        wrong = await client.post(path, json=_message(event="x"), auth=("wk_wrong", ""))
    assert missing.status_code == 401
    assert wrong.status_code == 403


async def test_short_paths_parse_strictly_and_keep_the_limits(edge: Edge) -> None:
    """Bad JSON, a track without a name, a group without groupId: 400 naming the field; a
    single event past the event limit is 413 while /v1/b takes a batch that size."""
    limit = edge.config.collect.max_event_bytes
    big = _message(event="Big", properties={"blob": "x" * limit})
    async with edge.client() as client:
        auth = edge.write_auth()
        nan = await client.post(
            "/v1/t", content=b'{"event": "x", "userId": "u", "n": NaN}', auth=auth
        )
        unnamed = await client.post("/v1/t", json=_message(), auth=auth)
        groupless = await client.post("/v1/g", json=_message(traits={"name": "A"}), auth=auth)
        too_big = await client.post("/v1/t", json=big, auth=auth)
        small_events = [_message(type="track", event=f"e{i}") for i in range(limit // 100)]
        batch = await client.post("/v1/b", json={"batch": small_events}, auth=auth)
    assert nan.status_code == 400 and nan.json()["error"]["field"] == "body"
    assert unnamed.status_code == 400 and unnamed.json()["error"]["field"] == "event"
    assert groupless.status_code == 400 and groupless.json()["error"]["field"] == "groupId"
    assert too_big.status_code == 413
    assert batch.status_code == 200, batch.text
    assert batch.json()["accepted"] == len(small_events)


async def test_rudderstack_beacon_batches_carry_the_write_key_in_the_url(edge: Edge) -> None:
    """RudderStack's `useBeacon` posts text/plain to /beacon/v1/batch?writeKey=: taken with
    the write key, refused with none (401) or with the secret key in the URL (403)."""
    body = orjson.dumps({"batch": [_message(type="track", event="Viewed")], "sentAt": None})
    headers = {"Content-Type": "text/plain;charset=UTF-8", "Origin": "http://localhost:8000"}
    async with edge.client() as client:
        taken = await client.post(
            "/beacon/v1/batch", params={"writeKey": WRITE_KEY}, content=body, headers=headers
        )
        keyless = await client.post("/beacon/v1/batch", content=body, headers=headers)
        secret = await client.post(
            "/beacon/v1/batch", params={"writeKey": SECRET_KEY}, content=body, headers=headers
        )
    assert taken.status_code == 200, taken.text
    assert taken.json()["accepted"] == 1
    assert taken.headers["access-control-allow-origin"] == "http://localhost:8000"
    assert keyless.status_code == 401
    assert secret.status_code == 403 and secret.json()["error"]["field"] == "writeKey"
    [(_, event)] = await consume(edge.settings, 1)
    assert (event.type, event.event) == ("track", "Viewed")
