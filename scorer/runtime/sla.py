"""Sales SLA timers: fire on a periodic tick even when the lead sends nothing more.

Each partition keeps a sorted set of deadlines; the tick passes wall-clock "now" and fires
every due timer through `lua/sla_fire.lua`, which removes the timer and queues the alert in
the outbox atomically, so two scorers (or a zombie) never fire one timer twice.

With `stages.sla.recycle_when_stale`, the same call queues a `stale` message keyed to the
lead: the stage change goes through the partition's log and apply.lua like every other
(`stale.apply_stale`), never written from the tick.
"""

from __future__ import annotations

from typing import cast

from leadpulse.kernel.domain import AlertType, Stage
from leadpulse.kernel.messages import Stale
from leadpulse.kernel.schema import encode
from leadpulse.kernel.valkey import Valkey
from scorer.core.alerts import build_alert
from scorer.core.config import Rules
from scorer.core.effects import Outbound
from scorer.core.identity import control_message, stable_id
from scorer.core.state import LeadState
from scorer.core.state_layout import load_lead
from scorer.metrics import SLA_FIRED
from scorer.storage.keys import PartitionKeys
from scorer.storage.scripts import Scripts
from scorer.storage.view import outbox_entry

__all__ = ["due_messages", "fire_due_timers"]

_LIMIT = 200


def _reason(stage: str, rules: Rules) -> str:
    sla = rules.config.stages.sla
    if stage == Stage.MQL:
        return f"MQL not accepted by sales within {sla.mql_hours:g} hours"
    days = getattr(sla, f"{stage}_days", None)
    return f"lead stuck in {stage} for more than {days:g} days"


async def fire_due_timers(
    redis: Valkey, scripts: Scripts, rules: Rules, partition: int, now: float
) -> list[Outbound]:
    """Fire every timer of `partition` due at `now`; return the alerts queued."""
    pk = PartitionKeys(partition)
    due: list[bytes] = cast(
        "list[bytes]", await redis.zrangebyscore(pk.sla, "-inf", now, start=0, num=_LIMIT)
    )
    fired: list[Outbound] = []
    for raw in due:
        member = raw.decode()
        lead_id = member.split("|")[0]
        pipe = redis.pipeline(transaction=True)  # one moment of both keys
        pipe.get(pk.lead(lead_id))
        pipe.get(pk.past(lead_id))
        blob, past = await pipe.execute()
        if blob is None:
            await redis.zrem(pk.sla, member)
            continue
        queued = due_messages(load_lead(blob, past), member, rules, now)
        args = [part for m in queued for part in (m.msg_id, outbox_entry(m))]
        done = await scripts.run(redis, scripts.sla, [pk.sla, pk.outbox], [member, *args])
        if int(done) == 1:
            SLA_FIRED.inc()
            fired += queued
    return fired


def due_messages(state: LeadState, member: str, rules: Rules, now: float) -> list[Outbound]:
    """What the due timer `member` of `state` queues: the breach alert, maybe a stale message."""
    lead_id, stage, since = member.split("|")
    alert = build_alert(
        AlertType.SLA_BREACH,
        state,
        rules.compiled.models,
        t=now,
        transition=f"sla:{stage}:{since}",
        trigger=member,
        reason=_reason(stage, rules),
    )
    queued = [Outbound(alert.alert_id, "alerts", lead_id, encode(alert))]
    if rules.config.stages.sla.recycle_when_stale and state.keys:
        queued.append(_stale_message(state.keys[0], lead_id, stage, since, member, now))
    return queued


def _stale_message(
    key: str, lead_id: str, stage: str, since: str, member: str, now: float
) -> Outbound:
    """Tell the lead's partition to recycle it, if it is still where the timer found it."""
    stale = Stale(lead_id=lead_id, stage=stage, since=since)
    return control_message(stable_id("stale", member), key, now, stale)
