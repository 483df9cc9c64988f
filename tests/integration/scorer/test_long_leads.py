"""A long-lived lead, its older steps kept apart in Valkey, is the same lead whether it was
read back from Valkey before every batch or kept in memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from leadpulse.kernel.config import load_config
from scorer.core.config import Rules
from scorer.core.state import LeadState
from scorer.core.state_layout import TAIL_MAX, load_lead
from scorer.read import store
from scorer.runtime.batch import Message, apply_batch
from scorer.runtime.lead_cache import LeadCache
from scorer.storage.keys import META, PartitionKeys
from scorer.storage.scripts import Scripts
from tests.unit.scorer.events import page, track

RULES = Rules.from_config(load_config().scoring)
START = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=9)
EVENTS = 130


def _journey(email: str, first_offset: int) -> list[Message]:
    events = [
        track(email=email, event="Email Opened", when=START + timedelta(hours=n))
        if n % 3 == 0
        else page("/demo/blog/a", email=email, when=START + timedelta(hours=n))
        for n in range(EVENTS)
    ]
    return [Message(first_offset + i, e.key, e) for i, e in enumerate(events)]


async def _stored(redis: Any, email: str) -> tuple[LeadState, bytes | None]:
    pk = PartitionKeys(0)
    lead_id = (await redis.hget(pk.identities, f"email:{email}")).decode()
    blob, past = await redis.mget(pk.lead(lead_id), pk.past(lead_id))
    return load_lead(blob, past), past


def _view(lead: dict[str, Any]) -> dict[str, Any]:
    """What the two leads must share: all but who they are."""
    skip = {"lead_id", "email", "identities", "alerts", "stage_history", "timeline"}
    shown = {k: v for k, v in lead.items() if k not in skip}
    shown["stages"] = [(e["stage"], e["at"]) for e in lead["stage_history"]]
    shown["timeline"] = [(e["type"], e["at"]) for e in lead["timeline"]]
    return shown


async def test_a_long_lead_read_back_before_every_batch_is_the_one_kept_in_memory(
    redis: Any,
) -> None:
    scripts = Scripts()
    await scripts.load(redis)
    await redis.hset(META, mapping={"partitions": 1})
    reread = _journey("reread@acme.example", 0)
    for start in range(0, EVENTS, 7):  # no cache: every batch reads the lead from Valkey
        await apply_batch(redis, scripts, RULES, {0: reread[start : start + 7]}, LeadCache(0))
    kept = _journey("kept@acme.example", EVENTS)
    await apply_batch(redis, scripts, RULES, {0: kept}, LeadCache())

    reread_state, past = await _stored(redis, "reread@acme.example")
    kept_state, _ = await _stored(redis, "kept@acme.example")
    assert past is not None  # its older steps live apart
    assert len(reread_state.steps) == EVENTS > TAIL_MAX
    assert [s[0] for s in reread_state.steps] == [s[0] for s in kept_state.steps]
    assert [s[2:] for s in reread_state.steps] == [s[2:] for s in kept_state.steps]
    lead = await store.get_lead(redis, "reread@acme.example")
    reference = await store.get_lead(redis, "kept@acme.example")
    assert lead is not None and reference is not None
    assert _view(lead) == _view(reference)
