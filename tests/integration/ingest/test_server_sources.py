"""CRM outcomes and webinar webhooks: secret key or a signed inbound webhook."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime

import orjson
from pydantic import SecretStr
from standardwebhooks import Webhook

from tests.conftest import SECRET_KEY
from tests.integration.ingest.conftest import Edge, EdgeFactory, consume

SECRET = {"Authorization": f"Bearer {SECRET_KEY}"}
INBOUND = "whsec_" + base64.b64encode(b"inbound-secret-for-tests-32bytes").decode()


async def test_a_crm_outcome_is_published_for_the_lead(edge: Edge) -> None:
    """POST /v1/crm/events with the secret key publishes a `crm` envelope keyed by email."""
    body = {
        "event_id": "crm-1",
        "type": "won",
        "email": "Linus@Kernel.example",
        "occurred_at": "2026-11-20T10:00:00Z",
        "owner": "ada@sales.example",
        "account_id": "acct-9",
    }
    async with edge.client() as client:
        response = await client.post("/v1/crm/events", json=body, headers=SECRET)
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True, "event_id": "crm-1"}
    [(key, event)] = await consume(edge.settings, 1)
    assert key == "email:linus@kernel.example"
    assert (event.type, event.event, event.source) == ("crm", "won", "crm")
    assert event.properties == {"owner": "ada@sales.example", "account_id": "acct-9"}
    assert event.timestamp == datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert event.flags.identity_trust == "verified"


async def test_a_crm_outcome_by_lead_id_is_keyed_by_it(edge: Edge) -> None:
    """A CRM event naming only lead_id is keyed `crm:<lead_id>`."""
    body = {
        "event_id": "crm-2",
        "type": "accepted",
        "lead_id": "ld_1234",
        "occurred_at": "2026-11-20T10:00:00Z",
    }
    async with edge.client() as client:
        assert (await client.post("/v1/crm/events", json=body, headers=SECRET)).status_code == 200
    [(key, _)] = await consume(edge.settings, 1)
    assert key == "crm:ld_1234"


async def test_webinar_registration_and_attendance_are_published(edge: Edge) -> None:
    """Webinar webhooks become `Webinar Registered` / `Webinar Attended` events."""
    async with edge.client() as client:
        for kind in ("registered", "attended"):
            response = await client.post(
                "/v1/webhooks/webinar",
                json={
                    "event_id": f"web-{kind}",
                    "type": kind,
                    "email": "hedy@radio.example",
                    "webinar": "ops-masterclass",
                    "occurred_at": "2026-11-21T15:00:00+01:00",
                    "title": "Head of Ops",
                },
                headers=SECRET,
            )
            assert response.status_code == 200, response.text
    found = {event.event: event for _, event in await consume(edge.settings, 2)}
    assert set(found) == {"Webinar Registered", "Webinar Attended"}
    attended = found["Webinar Attended"]
    assert attended.type == "webinar"
    assert attended.properties["webinar"] == "ops-masterclass"
    assert attended.traits["title"] == "Head of Ops"
    assert attended.timestamp == datetime(2026, 11, 21, 14, tzinfo=UTC)


def _signed(
    body: dict[str, object], msg_id: str, secret: str = INBOUND
) -> tuple[bytes, dict[str, str]]:
    raw = orjson.dumps(body)
    now = datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id, now, raw.decode())
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
        "Content-Type": "application/json",
    }
    return raw, headers


async def test_signed_inbound_webhooks_are_accepted_once(
    edge_factory: EdgeFactory, redis_client: object
) -> None:
    """With LP_INBOUND_SECRET, a signed CRM event is accepted; its replay is refused 409."""
    body = {
        "event_id": "crm-signed",
        "type": "qualified",
        "email": "a@b.example",
        "occurred_at": "2026-11-20T10:00:00Z",
    }
    raw, headers = _signed(body, f"msg_{uuid.uuid4().hex}")
    async with edge_factory(inbound_secret=SecretStr(INBOUND)) as edge, edge.client() as client:
        first = await client.post("/v1/crm/events", content=raw, headers=headers)
        replay = await client.post("/v1/crm/events", content=raw, headers=headers)
        forged_raw, forged_headers = _signed(
            body, "msg_forged", secret="whsec_" + base64.b64encode(b"x" * 32).decode()
        )
        forged = await client.post("/v1/crm/events", content=forged_raw, headers=forged_headers)
        unsigned = await client.post("/v1/crm/events", content=raw)
    assert first.status_code == 200, first.text
    assert replay.status_code == 409
    assert replay.json()["error"]["field"] == "webhook-id"
    assert forged.status_code == 403
    assert unsigned.status_code == 401
