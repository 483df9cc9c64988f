"""Read a request body under a size limit and parse it strictly.

Sizes are checked before parsing (Content-Length first, then while streaming, and again
after gzip), so a large body costs no parse. orjson refuses NaN, Infinity and lone
surrogates; the walk here refuses absurd nesting, NUL characters and over-long keys, each
by the path of the value that broke the rule. In a batch those three are the message's own
fault: the bad message is set aside (`message_problems`) and the others go on.
"""

from __future__ import annotations

import zlib
from typing import Any

import orjson
from starlette.requests import Request

from ingest.errors import BadInput, BodyTooLarge

__all__ = [
    "MAX_DEPTH",
    "check_json",
    "json_body",
    "message_problems",
    "parse_batch",
    "parse_json",
    "read_body",
]

MAX_DEPTH = 16
_MAX_KEY_CHARS = 256


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body (gunzipped when sent gzip), refused with 413 past `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise BadInput("Content-Length is not a number", field="Content-Length")
        if int(declared) > limit:
            raise BodyTooLarge(f"body is larger than {limit} bytes", field="body")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"body is larger than {limit} bytes", field="body")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if request.headers.get("content-encoding", "").lower() == "gzip":
        raw = _gunzip(raw, limit)
    return raw


def _gunzip(raw: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise BadInput("body is not valid gzip", field="body", code="bad_encoding") from exc
    if len(out) > limit or inflater.unconsumed_tail:
        raise BodyTooLarge(f"body is larger than {limit} bytes once gunzipped", field="body")
    return out


def _loads(raw: bytes) -> Any:
    if not raw.strip():
        raise BadInput("body is empty; a JSON object is expected", field="body", code="empty")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadInput(f"body is not valid JSON: {exc}", field="body", code="bad_json") from exc


def _clean(value: Any, strings: bool) -> bool:
    if isinstance(value, dict | list):
        return _acceptable(value, 0, strings)
    return not (isinstance(value, str) and "\x00" in value)


def parse_json(raw: bytes) -> Any:
    """Parse strictly; raise BadInput naming what is wrong."""
    value = _loads(raw)
    # A NUL can only arrive escaped (orjson refuses raw control characters in strings).
    if not _clean(value, b"\\u0000" in raw):
        check_json(value)  # raises, naming where
    return value


def parse_batch(raw: bytes) -> tuple[Any, dict[int, BadInput]]:
    """Parse a `{"batch": [...]}` body strictly, but judge each message on its own.

    What is wrong outside the messages refuses the body; a message with a NUL, a bad key or
    nesting past MAX_DEPTH (counted from the message, as for a single event) comes back in
    the problems, by its index, for the batch answer to list.
    """
    value = _loads(raw)
    strings = b"\\u0000" in raw
    if _clean(value, strings):
        return value, {}
    items = value.get("batch") if isinstance(value, dict) else None
    if not isinstance(items, list):
        check_json(value)
        return value, {}
    check_json({key: child for key, child in value.items() if key != "batch"})
    problems: dict[int, BadInput] = {}
    for index, item in enumerate(items):
        if not _clean(item, strings):
            try:
                check_json(item, f"batch.{index}")
            except BadInput as exc:
                problems[index] = exc
    return value, problems


def _acceptable(value: Any, depth: int, strings: bool) -> bool:
    """The fast check: no paths built, since nearly every body passes."""
    if depth >= MAX_DEPTH:
        return False
    if type(value) is dict:
        # max(map(len, ...)) runs in C: this walk visits every container of a 500 KB batch.
        if value and max(map(len, value)) > _MAX_KEY_CHARS:
            return False
        if strings and any("\x00" in key for key in value):
            return False
        value = value.values()
    for child in value:
        kind = type(child)
        if kind is dict or kind is list:
            if not _acceptable(child, depth + 1, strings):
                return False
        elif strings and kind is str and "\x00" in child:
            return False
    return True


def check_json(value: Any, path: str = "body") -> None:
    """Refuse nesting deeper than MAX_DEPTH, NUL characters and over-long keys, by path."""
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise BadInput(f"{where}: contains a NUL character", field=where, code="nul")
        elif isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                raise BadInput(
                    f"{where}: nested deeper than {MAX_DEPTH} levels", field=where, code="too_deep"
                )
            if isinstance(item, dict):
                for key, child in item.items():
                    if "\x00" in key or len(key) > _MAX_KEY_CHARS:
                        raise BadInput(f"{where}: bad key", field=where, code="bad_key")
                    stack.append((child, f"{where}.{key}" if where != "body" else key, depth + 1))
            else:
                stack.extend((child, f"{where}.{i}", depth + 1) for i, child in enumerate(item))


_BATCH_PATHS = frozenset({"/v1/batch", "/v1/import", "/v1/b", "/beacon/v1/batch", "/v1/collect"})


async def json_body(request: Request) -> Any:
    """The request's JSON body, read and parsed once per request under the path's limit.

    Batch paths take up to `collect.max_batch_bytes`, single events `max_event_bytes`; a
    batch's refused messages are kept for `message_problems`.
    """
    cached = getattr(request.state, "lp_json", _MISSING)
    if cached is not _MISSING:
        return cached
    collect = request.app.state.config.collect
    if request.url.path in _BATCH_PATHS:
        value, problems = parse_batch(await read_body(request, collect.max_batch_bytes))
        request.state.lp_problems = problems
    else:
        value = parse_json(await read_body(request, collect.max_event_bytes))
    request.state.lp_json = value
    return value


def message_problems(request: Request) -> dict[int, BadInput]:
    """The batch messages `json_body` refused, by index (read the body first)."""
    problems: dict[int, BadInput] = getattr(request.state, "lp_problems", {})
    return problems


_MISSING = object()
