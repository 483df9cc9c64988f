"""Click destinations and signed email tokens."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from ingest.links import mint_links
from ingest.tokens import EmailToken, TokenError, TokenExpired, dump_token, load_token
from ingest.urls import safe_destination
from leadpulse.kernel.config import load_config
from leadpulse.kernel.settings import Settings

SAFE = [
    "https://site.example/",
    "http://site.example:8080/a?b=c#d",
    "https://xn--bcher-kva.example/x",
]
UNSAFE = [
    "//evil.example",
    "///evil.example",
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "data:text/html,x",
    "https:\\\\evil.example",
    "https:/\\evil.example",
    "/\\evil.example",
    "https:evil.example",
    "https:/evil.example",
    "ht\ttps://evil.example",
    "https://evil.example\n.site.example",
    "https://user:pass@evil.example",
    "https://",
    "ftp://site.example/file",
    "https://site.example:99999/",
    "",
    "x" * 3000,
]


@pytest.mark.parametrize("url", SAFE)
def test_absolute_http_urls_are_safe_destinations(url: str) -> None:
    """Absolute http(s) URLs with a host are accepted unchanged."""
    assert safe_destination(url) == url


@pytest.mark.parametrize("url", UNSAFE, ids=range(len(UNSAFE)))
def test_tricky_destinations_are_refused(url: str) -> None:
    """Protocol-relative, script, backslash, whitespace and credential URLs are refused."""
    with pytest.raises(ValueError, match="url"):
        safe_destination(url)


def test_a_token_round_trips() -> None:
    """What was signed is what comes back."""
    token = EmailToken("a@b.example", "q3", 100, 200, "https://site.example/")
    assert load_token("s", "click", dump_token("s", "click", token), now=150) == token


def test_tokens_are_bound_to_their_purpose_and_secret() -> None:
    """An open token is not a click token, and another secret's token is forged."""
    token = EmailToken("a@b.example", None, 100, 200)
    with pytest.raises(TokenError):
        load_token("s", "click", dump_token("s", "open", token), now=150)
    with pytest.raises(TokenError):
        load_token("s", "open", dump_token("other", "open", token), now=150)


def test_an_expired_token_says_so() -> None:
    """A genuine token past its expiry raises TokenExpired."""
    token = EmailToken("a@b.example", None, 100, 200)
    with pytest.raises(TokenExpired):
        load_token("s", "open", dump_token("s", "open", token), now=201)


def test_mint_links_names_the_bad_field() -> None:
    """mint_links refuses a bad URL, email or expiry with the field's name first."""
    settings = Settings(_env_file=None, token_secret=SecretStr("t"))  # type: ignore[call-arg]
    config = load_config()
    with pytest.raises(ValueError, match=r"^url:"):
        mint_links(settings, config, "//evil.example", "a@b.example", None, None)
    with pytest.raises(ValueError, match=r"^email:"):
        mint_links(settings, config, "https://site.example", "not-an-email", None, None)
    with pytest.raises(ValueError, match=r"^expires_in_days:"):
        mint_links(settings, config, "https://site.example", "a@b.example", None, 0)
    links = mint_links(settings, config, "https://site.example", "a@b.example", "c", 7)
    assert set(links) == {"click_url", "open_url"}


def test_a_token_does_not_give_away_its_recipient() -> None:
    """Neither the token text nor its base64-decoded bytes contain the email or the URL."""
    import base64

    token = EmailToken("ann.secret@example.com", "fall", 1, 2**40, url="https://example.com/p")
    text = dump_token("s3cret", "click", token)
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    for needle in (b"ann.secret", b"example.com"):
        assert needle not in raw and needle.decode() not in text
    assert load_token("s3cret", "click", text, now=10).email == "ann.secret@example.com"
