"""Segment's `group` makes accounts real: traits of the account, through ingest and the
scorer, into fit points, the account read API, the dashboard's account page and alerts."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx

from leadpulse.kernel.settings import Settings
from tests.conftest import SECRET_KEY
from tests.integration.scorer.conftest import (
    SECRET,
    WRITE,
    Edge,
    ScorerStarter,
    read_alerts,
    wait_for,
)

UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
ACME = {
    "name": "Acme Co",
    "website": "https://www.acme.example/about",
    "employees": 800,
    "industry": "Manufacturing",
    "plan": "enterprise",
}


def _message(**fields: Any) -> dict[str, Any]:
    return {"messageId": uuid.uuid4().hex, "context": {"userAgent": UA}, **fields}


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> None:
    response = await client.post(path, json=body, auth=WRITE)
    assert response.status_code == 200, response.text


async def _get_when(client: httpx.AsyncClient, path: str, check: Any, what: str) -> dict[str, Any]:
    found: dict[str, Any] = {}

    async def ready() -> bool:
        response = await client.get(path, headers=SECRET)
        if response.status_code == 200 and check(response.json()):
            found.update(response.json())
            return True
        return False

    await wait_for(ready, within=40, what=what)
    return found


def _fit_rules(lead: dict[str, Any]) -> set[str]:
    return {
        row["rule"]
        for row in lead["score"]["breakdown"]
        if row["rule"].endswith(("fit", "industry"))
    }


async def test_group_traits_score_fit_show_on_the_account_and_travel_in_the_alert(
    edge: Edge, start_scorer: ScorerStarter, scorer_settings: Settings
) -> None:
    """identify, group (short path /v1/g), then a demo request: the lead fits by the
    account's size and industry, the account (by id or domain) holds the traits, and the
    mql alert carries them."""
    await start_scorer()
    async with edge.client() as client:
        await _post(client, "/v1/p", _message(anonymousId="acme-1", properties={"path": "/"}))
        identify = _message(
            anonymousId="acme-1", userId="u-dana", traits={"email": "dana@acme.example"}
        )
        await _post(client, "/v1/i", identify)
        group = _message(anonymousId="acme-1", userId="u-dana", groupId="Acme-Co", traits=ACME)
        await _post(client, "/v1/g", group)
        track = _message(anonymousId="acme-1", userId="u-dana", event="Demo Requested")
        await _post(client, "/v1/t", track)

        lead = await _get_when(
            client,
            "/v1/leads/dana@acme.example",
            lambda lead: lead["stage"] == "mql" and lead["account"] == "acme-co",
            "the lead, an mql of acme-co",
        )
        assert {"company_size_fit", "target_industry"} <= _fit_rules(lead)
        assert lead["traits"].get("name") is None  # the account's name is not the person's
        assert lead["account_traits"]["employees"] == 800

        account = await _get_when(
            client, "/v1/accounts/acme-co", lambda a: a["traits"], "the account's traits"
        )
        assert account["traits"] == {
            "domain": "acme.example",
            "name": "Acme Co",
            "employees": 800,
            "industry": "Manufacturing",
            "plan": "enterprise",
        }
        assert [p["lead_id"] for p in account["people"]] == [lead["lead_id"]]
        by_domain = (await client.get("/v1/accounts/acme.example", headers=SECRET)).json()
        assert by_domain["account_id"] == "acme-co"
        assert by_domain["traits"] == account["traits"]

        login = await client.post(
            "/dashboard/login",
            content=f"key={SECRET_KEY}",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        cookie = {"cookie": f"lp_session={login.cookies['lp_session']}"}
        html = (await client.get("/dashboard/accounts/acme.example", headers=cookie)).text
        traits = re.search(r'<dl id="account-traits">(.*?)</dl>', html)
        assert traits is not None, html
        assert "<dt>industry</dt><dd>Manufacturing</dd>" in traits.group(1)
        assert "<dt>employees</dt><dd>800</dd>" in traits.group(1)

    [mql] = [a for a in await read_alerts(scorer_settings, expect=1) if a.type == "mql"]
    assert mql.lead.account == "acme-co" and mql.account_id == "acme-co"
    assert mql.lead.account_traits is not None
    assert mql.lead.account_traits["industry"] == "Manufacturing"
    assert mql.lead.account_traits["employees"] == 800


async def test_a_colleague_from_the_account_domain_joins_the_account_and_fits(
    edge: Edge, start_scorer: ScorerStarter
) -> None:
    """Once a group described acme-co (website acme.example), a colleague who only ever
    gave an @acme.example email is on acme-co and fits by its size and industry."""
    await start_scorer()
    async with edge.client() as client:
        group = _message(userId="u-lee", groupId="acme-co", traits=ACME)
        await _post(client, "/v1/group", group)
        await _get_when(client, "/v1/accounts/acme-co", lambda a: a["traits"], "the account")

        colleague = _message(anonymousId="sam-1", traits={"email": "sam@acme.example"})
        await _post(client, "/v1/identify", colleague)

        async def on_the_account() -> bool:
            # The colleague keeps browsing; each scorer learns of the account on its tick.
            await _post(client, "/v1/page", _message(anonymousId="sam-1", properties={"path": "/"}))
            response = await client.get("/v1/leads/sam@acme.example", headers=SECRET)
            return response.status_code == 200 and response.json()["account"] == "acme-co"

        await wait_for(on_the_account, within=40, what="the colleague on acme-co")
        lead = (await client.get("/v1/leads/sam@acme.example", headers=SECRET)).json()
        assert {"company_size_fit", "target_industry"} <= _fit_rules(lead)
        account = (await client.get("/v1/accounts/acme-co", headers=SECRET)).json()
        assert lead["lead_id"] in {p["lead_id"] for p in account["people"]}
        old = await client.get("/v1/accounts/acme.example", headers=SECRET)
        assert old.json()["account_id"] == "acme-co"
