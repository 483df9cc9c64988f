"""Quick smoke: one track through the HTTP edge lands on the events topic."""

from __future__ import annotations

from tests.integration.ingest.conftest import Edge, consume


async def test_a_tracked_event_reaches_the_topic_keyed_by_its_person(edge: Edge) -> None:
    """POST /v1/track answers {"success": true} and the envelope is on the topic."""
    async with edge.client() as client:
        response = await client.post(
            "/v1/track",
            json={"userId": "u-1", "event": "Signed Up", "messageId": "m-1"},
            auth=edge.write_auth(),
        )
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True}
    [(key, event)] = await consume(edge.settings, 1)
    assert key == "user:u-1"
    assert event.event_id == "m-1"
