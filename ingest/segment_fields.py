"""Read one field of a Segment message, or refuse it with a `BadInput` naming the field.

`prefix` is where the message sits in the request (`batch.3.`); a field's full name is only
built on error, since these run a dozen times per event.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ingest.errors import BadInput

__all__ = [
    "has_control",
    "parse_time",
    "read_campaign",
    "read_email",
    "read_id",
    "read_object",
    "read_text",
]

_MAX_ID_CHARS = 200
_MAX_EMAIL_CHARS = 254
_CAMPAIGN_FIELDS = ("source", "medium", "name", "term", "content")
# C0, DEL, C1 and the Unicode line breaks: an id or email holding one could start a new
# header or line wherever it is written out (alerts, CRM fields, emails, logs).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def has_control(text: str) -> bool:
    """Whether `text` holds a control character or a line break."""
    return _CONTROL.search(text) is not None


def _refuse_control(text: str, field: str) -> None:
    if has_control(text):
        raise BadInput(
            f"{field}: contains a control character", field=field, code="control_character"
        )


def parse_time(value: Any, field: str, prefix: str = "") -> datetime | None:
    """An ISO-8601 time as aware UTC; naive times are taken as UTC. None stays None."""
    if value is None:
        return None
    field = prefix + field
    if not isinstance(value, str) or len(value) > 64:
        raise BadInput(f"{field}: must be an ISO-8601 time string", field=field)
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise BadInput(f"{field}: not an ISO-8601 time ({value!r})", field=field) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def read_id(message: dict[str, Any], name: str, prefix: str) -> str | None:
    value = message.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadInput(f"{prefix}{name}: must be a string", field=f"{prefix}{name}")
    text = str(value)
    if len(text) > _MAX_ID_CHARS:
        raise BadInput(
            f"{prefix}{name}: longer than {_MAX_ID_CHARS} characters", field=f"{prefix}{name}"
        )
    if has_control(text):
        _refuse_control(text, f"{prefix}{name}")
    return text


def read_object(message: dict[str, Any], name: str, prefix: str) -> dict[str, Any]:
    value = message.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadInput(f"{prefix}{name}: must be an object", field=f"{prefix}{name}")
    return value


def read_text(value: Any, prefix: str, name: str, limit: int = 2048) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadInput(f"{prefix}{name}: must be a string", field=f"{prefix}{name}")
    return value[:limit] or None


def read_email(value: Any, prefix: str, name: str) -> str | None:
    if value is None or value == "":
        return None
    field = f"{prefix}{name}"
    if not isinstance(value, str):
        raise BadInput(f"{field}: must be a string", field=field)
    email = value.strip()
    _refuse_control(email, field)
    local, at, domain = email.rpartition("@")
    if not at or not local or "." not in domain or len(value) > _MAX_EMAIL_CHARS:
        raise BadInput(f"{field}: not an email address", field=field)
    return email


def read_campaign(context: dict[str, Any], url: str | None, prefix: str) -> dict[str, str]:
    given = read_object(context, "campaign", f"{prefix}context.") if "campaign" in context else {}
    values: dict[str, str] = {}
    for name in _CAMPAIGN_FIELDS if given else ():
        text = read_text(given.get(name), prefix, f"context.campaign.{name}", 256)
        if text:
            values[name] = text
    if url and not values and "utm_" in url:
        query = parse_qs(urlsplit(url).query)
        for name in _CAMPAIGN_FIELDS:
            found = query.get(f"utm_{'campaign' if name == 'name' else name}")
            if found and found[0]:
                values[name] = found[0][:256]
    return values
