"""A partition's horizon timers as a batch reads them: its watermark and the earliest
`PENDING_READ` deadlines (`read_plan`, in the batch's first round trip), and the leads whose
timers the batch's events may fire (`due_leads`), read with the others. What time passing
decides is `scorer.core.horizon`."""

from __future__ import annotations

import math
from typing import Any

from leadpulse.kernel.wire import Envelope
from scorer.core.horizon import event_time
from scorer.storage.keys import PartitionKeys
from scorer.storage.view import PartitionReads, PartitionView

__all__ = ["PENDING_READ", "due_leads", "read_plan", "take_plan"]

PENDING_READ = 500


def read_plan(pipe: Any, pk: PartitionKeys) -> None:
    """Queue the two reads `take_plan` takes the replies of."""
    pipe.get(pk.watermark)
    pipe.zrange(pk.horizon, 0, PENDING_READ - 1, withscores=True)


def take_plan(view: PartitionView, watermark: Any, pending: list[tuple[Any, Any]]) -> None:
    view.watermark = float(watermark) if watermark is not None else -math.inf
    view.horizons = {(m.decode() if isinstance(m, bytes) else str(m)): float(s) for m, s in pending}
    view.horizon_next = min(view.horizons.values(), default=math.inf)


def due_leads(view: PartitionReads, events: list[Envelope | None]) -> set[str]:
    """Leads whose timers the batch's events may fire."""
    times = [t for t in map(event_time, events) if t is not None]
    mark = max([view.watermark, *times])
    return {m.rsplit("|", 1)[0] for m, deadline in view.horizons.items() if deadline < mark}
