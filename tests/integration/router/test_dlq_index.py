"""The dead-letter index (the dashboard's view of the DLQ) keeps what the router keeps
delivery records for, 30 days, and no more: it must not grow with every letter ever."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from leadpulse.kernel.schema import DeadLetter
from router.dlq_index import index_letter, indexed_letters, named, note_requested, prune_letters
from tests.integration.router.support import make_alert


def _letter(failed_days_ago: float) -> DeadLetter:
    return DeadLetter(
        alert=make_alert(),
        destination="crm-webhook",
        reason="HTTP 410 (not retried)",
        attempts=1,
        failed_at=datetime.now(UTC) - timedelta(days=failed_days_ago),
    )


async def test_letters_older_than_the_records_leave_the_index_with_their_marks(
    redis_client: Any,
) -> None:
    old, recent = _letter(31), _letter(2)
    for offset, letter in enumerate((old, recent)):
        await index_letter(redis_client, letter, f"0:{offset}")
    await note_requested(redis_client, [old, recent])

    pruned = await prune_letters(redis_client, datetime.now(UTC) - timedelta(days=30))

    assert pruned == 1
    [kept] = await indexed_letters(redis_client)
    assert named(kept.letter) == named(recent)
    assert kept.state == "requested"
    marks = await redis_client.hkeys("lp:router:dlq:requested")
    assert [m.decode() for m in marks] == [f"{recent.alert.alert_id}|crm-webhook"]
    assert await prune_letters(redis_client, datetime.now(UTC) - timedelta(days=30)) == 0
