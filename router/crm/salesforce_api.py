"""Salesforce over REST with `simple-salesforce`: the OAuth 2.0 client-credentials token,
a session refreshed on 401, and its errors as the router's delivery errors. Synchronous
(requests): callers run these in a worker thread.

simple-salesforce's own login builds `https://<domain>.salesforce.com` URLs, so the token
is fetched here from LP_SALESFORCE_LOGIN_URL (an org's My Domain login URL works) and the
client is given the session and the instance URL the token answer names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession

from router.errors import DeliveryError, PermanentFailure, RateLimited, RetriableFailure

__all__ = ["SalesforceSession"]

T = TypeVar("T")

# Salesforce refuses with 403 REQUEST_LIMIT_EXCEEDED once the org's daily allowance is
# spent: nothing to do but wait (an hour, then the budget's own pacing).
_LIMIT_WAIT_SECONDS = 3600.0


def _error_code(content: Any) -> str:
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("errorCode", ""))
    return ""


def _translate(exc: Exception) -> DeliveryError:
    if isinstance(exc, requests.Timeout):
        return RetriableFailure("timeout", "timed out")
    if isinstance(exc, requests.RequestException):
        return RetriableFailure("network", f"network error: {type(exc).__name__}")
    assert isinstance(exc, SalesforceError)
    status = int(exc.status)
    code = _error_code(exc.content)
    if code == "REQUEST_LIMIT_EXCEEDED":
        return RateLimited("http_429", "REQUEST_LIMIT_EXCEEDED", _LIMIT_WAIT_SECONDS)
    if status >= 500:
        return RetriableFailure("http_5xx", f"HTTP {status} {code}".strip())
    if status in (401, 403):
        return PermanentFailure("unauthorized", f"HTTP {status} {code}".strip())
    return PermanentFailure("validation" if status == 400 else "http_4xx", f"HTTP {status} {code}")


class SalesforceSession:
    """A token from the client-credentials flow and a client on it; renewed on 401."""

    def __init__(
        self,
        login_url: str,
        client_id: str,
        client_secret: str,
        version: str,
        timeout: tuple[float, float],
    ) -> None:
        self._token_url = f"{login_url.rstrip('/')}/services/oauth2/token"
        self._client_id = client_id
        self._client_secret = client_secret
        self._version = version
        self._timeout = timeout
        self._http = requests.Session()
        self._client: Salesforce | None = None

    def _login(self) -> Salesforce:
        answer = self._http.post(
            self._token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": self._client_id,
                "client_secret": self._client_secret,
            },
            timeout=self._timeout,
        )
        if answer.status_code != 200:
            error = answer.json().get("error", "") if answer.content else ""
            if answer.status_code >= 500:
                raise RetriableFailure("http_5xx", f"token: HTTP {answer.status_code}")
            raise PermanentFailure("unauthorized", f"token: HTTP {answer.status_code} {error}")
        token = answer.json()
        return Salesforce(
            instance_url=token["instance_url"],
            session_id=token["access_token"],
            version=self._version,
            session=self._http,
        )

    def call(self, fn: Callable[[Salesforce], T]) -> T:
        """Run `fn` with a logged-in client; a 401 logs in again once; errors translated."""
        try:
            if self._client is None:
                self._client = self._login()
            try:
                return fn(self._client)
            except SalesforceExpiredSession:
                self._client = self._login()
                return fn(self._client)
        except (SalesforceError, requests.RequestException) as exc:
            raise _translate(exc) from exc

    def close(self) -> None:
        self._http.close()
