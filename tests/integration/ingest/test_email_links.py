"""Email opens and clicks: signed tokens, safe redirects, scanner flags."""

from __future__ import annotations

import time

import pytest

from ingest.tokens import EmailToken, dump_token
from tests.conftest import SECRET_KEY, TOKEN_SECRET
from tests.integration.ingest.conftest import Edge, consume

PERSON_UA = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
HOME = "http://127.0.0.1:8000/demo/"


def _click_token(
    url: str, *, sent_ago: float = 3600, expires_in: float = 86400, campaign: str = "spring"
) -> str:
    now = int(time.time())
    token = EmailToken(
        email="grace@navy.example",
        campaign=campaign,
        sent_at=int(now - sent_ago),
        expires_at=int(now + expires_in),
        url=url,
    )
    return dump_token(TOKEN_SECRET, "click", token)


def _open_token(*, sent_ago: float = 3600, campaign: str = "spring") -> str:
    now = int(time.time())
    token = EmailToken("grace@navy.example", campaign, int(now - sent_ago), now + 86400)
    return dump_token(TOKEN_SECRET, "open", token)


async def test_minted_links_redirect_and_record_a_verified_click(edge: Edge) -> None:
    """POST /v1/links gives URLs on ingest; the click URL redirects to the destination."""
    async with edge.client() as client:
        minted = await client.post(
            "/v1/links",
            json={
                "url": "https://site.example/pricing?x=1",
                "email": "grace@navy.example",
                "campaign": "q3",
            },
            headers={"Authorization": f"Bearer {SECRET_KEY}"},
        )
        assert minted.status_code == 200, minted.text
        links = minted.json()
        assert links["click_url"].startswith(edge.settings.base_url + "/r/")
        assert links["open_url"].startswith(edge.settings.base_url + "/o/")
        assert links["open_url"].endswith(".gif")
        click = await client.get(links["click_url"], headers={"User-Agent": PERSON_UA})
        opened = await client.get(links["open_url"], headers={"User-Agent": PERSON_UA})
    assert click.status_code == 302
    assert click.headers["location"] == "https://site.example/pricing?x=1"
    assert opened.status_code == 200
    assert opened.headers["content-type"] == "image/gif"
    found = {event.event: (key, event) for key, event in await consume(edge.settings, 2)}
    key, clicked = found["Email Link Clicked"]
    assert key == "email:grace@navy.example"
    assert clicked.flags.identity_trust == "verified"
    assert clicked.properties["url"] == "https://site.example/pricing?x=1"
    assert clicked.context.campaign.name == "q3"
    # Clicked seconds after the send: a scanner's timing, so kept but flagged.
    assert clicked.flags.scanner is True
    assert found["Email Opened"][1].source == "email_open"


async def test_a_person_clicking_later_is_not_flagged(edge: Edge) -> None:
    """A click an hour after the send, from a browser, is an unflagged Email Link Clicked."""
    async with edge.client() as client:
        response = await client.get(
            f"/r/{_click_token('https://site.example/a')}", headers={"User-Agent": PERSON_UA}
        )
    assert response.status_code == 302
    [(_, event)] = await consume(edge.settings, 1)
    assert event.flags.scanner is False
    assert event.flags.bot is False


TAMPERED = [
    ("altered signature", lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB")),
    ("altered payload", lambda t: "x" + t[1:]),
    ("garbage", lambda _t: "not-a-token"),
    ("open token as click", lambda _t: _open_token()),
    (
        "other secret",
        lambda _t: dump_token(
            "other", "click", EmailToken("a@b.example", None, 0, 2**40, "https://evil.example")
        ),
    ),
]


@pytest.mark.parametrize("tamper", [t[1] for t in TAMPERED], ids=[t[0] for t in TAMPERED])
async def test_forged_or_altered_click_tokens_land_on_the_home_page(
    edge: Edge, tamper: object
) -> None:
    """A bad token never redirects off-site: it goes to the configured home page."""
    token = tamper(_click_token("https://evil.example/phish"))  # type: ignore[operator]
    async with edge.client() as client:
        response = await client.get(f"/r/{token}", headers={"User-Agent": PERSON_UA})
    assert response.status_code == 302
    assert response.headers["location"] == HOME


@pytest.mark.parametrize(
    "destination",
    [
        "//evil.example/x",
        "javascript:alert(1)",
        "https:\\\\evil.example",
        "/\\evil.example",
        "data:text/html,hi",
    ],
    ids=["protocol-relative", "javascript", "backslashes", "slash-backslash", "data"],
)
async def test_a_genuine_token_with_an_unsafe_destination_is_not_followed(
    edge: Edge, destination: str
) -> None:
    """Even correctly signed, an unsafe destination is refused at redirect time."""
    async with edge.client() as client:
        response = await client.get(f"/r/{_click_token(destination)}")
    assert response.status_code == 302
    assert response.headers["location"] == HOME


async def test_an_expired_click_token_lands_on_the_home_page(edge: Edge) -> None:
    """Past its expiry a genuine link goes home, not to its destination."""
    async with edge.client() as client:
        response = await client.get(f"/r/{_click_token('https://site.example/x', expires_in=-10)}")
    assert response.headers["location"] == HOME


async def test_a_forged_open_token_is_a_400(edge: Edge) -> None:
    """A forged open pixel token is refused with a JSON 400 naming the token."""
    async with edge.client() as client:
        response = await client.get("/o/forged.token.gif")
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "token"


@pytest.mark.parametrize(
    ("method", "headers", "reason"),
    [
        ("HEAD", {"User-Agent": PERSON_UA}, "head_request"),
        ("GET", {"User-Agent": PERSON_UA, "Sec-Purpose": "prefetch"}, "prefetch"),
        (
            "GET",
            {"User-Agent": "Mozilla/5.0 (compatible; Barracuda Sentinel)"},
            "scanner_user_agent",
        ),
    ],
    ids=["head", "prefetch", "scanner-agent"],
)
async def test_scanner_requests_are_kept_but_flagged(
    edge: Edge, method: str, headers: dict[str, str], reason: str
) -> None:
    """HEAD, prefetch and known scanner agents: the click is published, flagged as scanner."""
    async with edge.client() as client:
        response = await client.request(
            method, f"/r/{_click_token('https://site.example/a')}", headers=headers
        )
    assert response.status_code == 302
    [(_, event)] = await consume(edge.settings, 1)
    assert event.flags.scanner is True
    assert event.flags.noise_reason == reason


async def test_a_click_right_after_the_open_is_flagged(edge: Edge) -> None:
    """An open followed within a second by a click of the same email is a scanner."""
    async with edge.client() as client:
        await client.get(f"/o/{_open_token()}.gif", headers={"User-Agent": PERSON_UA})
        await client.get(
            f"/r/{_click_token('https://site.example/a')}", headers={"User-Agent": PERSON_UA}
        )
    found = {event.event: event for _, event in await consume(edge.settings, 2)}
    assert found["Email Opened"].flags.scanner is False
    assert found["Email Link Clicked"].flags.noise_reason == "too_soon_after_open"


async def test_every_link_of_an_email_clicked_at_once_is_flagged(edge: Edge) -> None:
    """Three distinct links of one email within seconds: the burst is flagged link_burst."""
    async with edge.client() as client:
        for path in ("a", "b", "c"):
            await client.get(
                f"/r/{_click_token(f'https://site.example/{path}', campaign='burst')}",
                headers={"User-Agent": PERSON_UA},
            )
    found = sorted(
        (event.received_at, event.flags.noise_reason)
        for _, event in await consume(edge.settings, 3)
    )
    assert [reason for _, reason in found] == [None, None, "link_burst"]


async def test_an_expired_open_pixel_still_shows_but_records_nothing(edge: Edge) -> None:
    """An old email's pixel is a GIF (no broken image) and publishes no event."""
    now = int(time.time())
    token = dump_token(TOKEN_SECRET, "open", EmailToken("old@mail.example", None, 0, now - 60))
    async with edge.client() as client:
        response = await client.get(f"/o/{token}.gif", headers={"User-Agent": PERSON_UA})
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/gif"
    assert await consume(edge.settings, 1, timeout=2) == []
