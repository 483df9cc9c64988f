"""The official Segment Python SDK, pointed at LeadPulse with `host=`, works unchanged."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from segment.analytics import Client

from tests.conftest import WRITE_KEY
from tests.integration.ingest.conftest import Edge, consume


def _send_with_sdk(base: str, gzip: bool) -> list[str]:
    errors: list[str] = []
    client = Client(
        WRITE_KEY,
        host=base,
        sync_mode=True,
        gzip=gzip,
        max_retries=1,
        on_error=lambda error, _batch: errors.append(repr(error)),
    )
    client.identify(
        "user-42",
        {"email": "Ada.Lovelace@Analytical.example", "title": "CTO"},
        anonymous_id="anon-42",
        message_id="msg-identify",
    )
    client.track(
        "user-42",
        "Demo Requested",
        {"plan": "enterprise"},
        message_id="msg-track",
        timestamp=datetime.now(UTC) - timedelta(hours=2),
    )
    client.page(
        "user-42",
        category="Docs",
        name="Pricing",
        properties={
            "url": "https://site.example/pricing?utm_source=newsletter",
            "path": "/pricing",
        },
        message_id="msg-page",
    )
    client.flush()
    return errors


@pytest.mark.parametrize("gzip", [False, True], ids=["plain", "gzip"])
async def test_sdk_identify_track_page_reach_the_topic_keyed_by_the_user(
    edge: Edge, gzip: bool
) -> None:
    """identify, track and page from the SDK land as envelopes keyed `user:<userId>`."""
    errors = await asyncio.to_thread(_send_with_sdk, edge.base, gzip)
    assert errors == []
    found = {event.event_id: (key, event) for key, event in await consume(edge.settings, 3)}
    assert set(found) == {"msg-identify", "msg-track", "msg-page"}
    assert {key for key, _ in found.values()} == {"user:user-42"}

    _, identify = found["msg-identify"]
    assert identify.type == "identify"
    assert identify.identity.email == "Ada.Lovelace@Analytical.example"
    assert identify.identity.anonymous_id == "anon-42"
    assert identify.traits["title"] == "CTO"
    assert identify.source == "segment"

    _, track = found["msg-track"]
    assert (track.type, track.event) == ("track", "Demo Requested")
    assert track.properties == {"plan": "enterprise"}
    hours_ago = (track.received_at - track.timestamp).total_seconds() / 3600
    assert abs(hours_ago - 2) < 0.01

    _, page = found["msg-page"]
    assert page.type == "page"
    assert page.context.path == "/pricing"
    assert page.context.campaign.source == "newsletter"
    assert page.context.browser is not None or page.context.user_agent is not None


def _group_with_sdk(base: str) -> list[str]:
    errors: list[str] = []
    client = Client(
        WRITE_KEY,
        host=base,
        sync_mode=True,
        max_retries=1,
        on_error=lambda error, _batch: errors.append(repr(error)),
    )
    client.group(
        "user-42",
        "acme-co",
        {"name": "Acme Co", "website": "https://acme.example", "employees": 800},
        message_id="msg-group",
    )
    client.flush()
    return errors


async def test_sdk_group_lands_with_the_account_and_its_traits(edge: Edge) -> None:
    """group(userId, groupId, traits) lands as a group event naming the account."""
    errors = await asyncio.to_thread(_group_with_sdk, edge.base)
    assert errors == []
    [(key, group)] = await consume(edge.settings, 1)
    assert key == "user:user-42"
    assert (group.type, group.group_id) == ("group", "acme-co")
    assert group.traits == {"name": "Acme Co", "website": "https://acme.example", "employees": 800}
    assert group.identity.email is None
