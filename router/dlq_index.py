"""The router's read model of its dead-letter topic, in Valkey, and the replay requests.

The DLQ topic stays the durable record (`leadpulse dlq` reads it); when the router parks a
letter it also indexes it here, so the dashboard lists dead letters without a Kafka client.
Replaying is the router's job: the dashboard adds a request to a stream the router reads.

  lp:router:dlq:letters    hash    <alert_id>|<destination> -> the newest letter parked
                                   {"letter_id": "<partition>:<offset>", "letter": {...}}
  lp:router:dlq:requested  hash    <alert_id>|<destination> -> failed_at of the letter whose
                                   replay was requested
  lp:router:dlq:replayed   hash    <alert_id>|<destination> -> failed_at of the letter replayed
                                   (`RouterStore.mark_replayed`, shared with `leadpulse dlq`)
  lp:router:dlq:requests   stream  {"letters": JSON [[alert_id, destination, failed_at], ...]}

A letter is replayed when the replayed hash holds its failed_at (or a later one), requested
when the requested hash does. A request names letters by their failed_at, so it replays the
letters a person saw, never a newer failure of the same alert, and no clock is compared.

If Valkey loses these keys the topic still has every letter: `leadpulse dlq list` and
`leadpulse dlq replay` read it (and mark what they replay), and new letters are indexed.
The index keeps a letter as long as the router keeps its delivery records (30 days after
it failed); `prune_letters` drops older ones, which the topic and the CLI still show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import orjson
import structlog

from leadpulse.kernel.schema import DeadLetter, encode
from leadpulse.kernel.valkey import Valkey, text

__all__ = [
    "REQUESTS_GROUP",
    "REQUESTS_STREAM",
    "IndexedLetter",
    "LetterState",
    "index_letter",
    "indexed_letters",
    "named",
    "note_requested",
    "pair",
    "prune_letters",
    "requested_letters",
]

log = structlog.get_logger(__name__)

LETTERS_KEY = "lp:router:dlq:letters"
REQUESTED_KEY = "lp:router:dlq:requested"
REPLAYED_KEY = "lp:router:dlq:replayed"
REQUESTS_STREAM = "lp:router:dlq:requests"
REQUESTS_GROUP = "router"

LetterState = Literal["open", "requested", "replayed"]


def pair(alert_id: str, destination: str) -> str:
    return f"{alert_id}|{destination}"


@dataclass(frozen=True)
class IndexedLetter:
    """A dead letter as the index holds it: where it sits on the topic, and its state."""

    letter_id: str
    letter: DeadLetter
    state: LetterState


async def index_letter(redis: Valkey, letter: DeadLetter, letter_id: str) -> None:
    """Record a letter just parked (`letter_id`: its partition and offset on the topic)."""
    value = orjson.dumps({"letter_id": letter_id, "letter": orjson.Fragment(encode(letter))})
    await redis.hset(LETTERS_KEY, pair(letter.alert.alert_id, letter.destination), value)


def named(letter: DeadLetter) -> tuple[str, str, str]:
    """How a replay request names a letter."""
    return letter.alert.alert_id, letter.destination, letter.failed_at.isoformat()


def _state(failed_at: datetime, requested: str | None, replayed: str | None) -> LetterState:
    if replayed is not None and datetime.fromisoformat(replayed) >= failed_at:
        return "replayed"
    if requested is not None and datetime.fromisoformat(requested) >= failed_at:
        return "requested"
    return "open"


async def indexed_letters(redis: Valkey) -> list[IndexedLetter]:
    """Every indexed letter (the newest per alert and destination), oldest first."""
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hgetall(LETTERS_KEY)
        pipe.hgetall(REQUESTED_KEY)
        pipe.hgetall(REPLAYED_KEY)
        letters_raw, requested_raw, replayed_raw = await pipe.execute()
    requested = {text(k): text(v) for k, v in requested_raw.items()}
    replayed = {text(k): text(v) for k, v in replayed_raw.items()}
    found = []
    for raw_pair, raw in letters_raw.items():
        key = text(raw_pair)
        try:
            entry = orjson.loads(raw)
            letter = DeadLetter.model_validate(entry["letter"])
        except (ValueError, KeyError, TypeError):
            # The topic still holds the letter; one bad entry must not hide the others.
            log.warning("dead_letter_index_unreadable", pair=key)
            continue
        state = _state(letter.failed_at, requested.get(key), replayed.get(key))
        found.append(IndexedLetter(str(entry["letter_id"]), letter, state))
    return sorted(found, key=lambda item: (item.letter.failed_at, item.letter_id))


async def note_requested(redis: Valkey, letters: list[DeadLetter]) -> None:
    """Queue one replay request for these letters, and show them as "replay requested"."""
    if not letters:
        return
    names = [named(letter) for letter in letters]
    # The request first: a crash in between leaves a request that is carried out anyway,
    # never a letter shown as requested that no one will replay.
    await redis.xadd(REQUESTS_STREAM, {"letters": orjson.dumps(names)})
    await redis.hset(
        REQUESTED_KEY, mapping={pair(alert_id, dest): at for alert_id, dest, at in names}
    )


def requested_letters(fields: dict[bytes, bytes]) -> set[tuple[str, str, str]]:
    """The letters a request names (a stream entry's fields); raises ValueError if unreadable."""
    try:
        names = orjson.loads(fields.get(b"letters", b"[]"))
        return {(str(a), str(d), str(t)) for a, d, t in names}
    except (TypeError, ValueError) as exc:
        raise ValueError("unreadable replay request") from exc


async def prune_letters(redis: Valkey, failed_before: datetime, chunk: int = 500) -> int:
    """Drop the letters that failed before `failed_before` from the index and their
    requested/replayed marks; return how many. Read in chunks (HSCAN): never all at once."""
    old: list[str] = []
    async for raw_pair, raw in redis.hscan_iter(LETTERS_KEY, count=chunk):
        try:
            failed_at = datetime.fromisoformat(orjson.loads(raw)["letter"]["failed_at"])
        except (ValueError, KeyError, TypeError):
            continue  # unreadable: `indexed_letters` names it, the topic keeps the letter
        if failed_at < failed_before:
            old.append(text(raw_pair))
    for start in range(0, len(old), chunk):
        names = old[start : start + chunk]
        async with redis.pipeline(transaction=False) as pipe:
            for key in (LETTERS_KEY, REQUESTED_KEY, REPLAYED_KEY):
                pipe.hdel(key, *names)
            await pipe.execute()
    return len(old)
