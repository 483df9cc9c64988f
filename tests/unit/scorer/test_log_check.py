"""The verdict on a partition re-read from its stored offset (pure)."""

from __future__ import annotations

from scorer.runtime.batch import Message
from scorer.runtime.log_check import Pending, judge
from scorer.runtime.service import retry_delay
from tests.unit.scorer.events import page


def _at(offset: int, event_id: str | None) -> Message:
    event = page(event_id=event_id) if event_id else None
    return Message(offset, "anonymous_id:a", event)


def test_the_applied_message_back_at_its_offset_is_the_same_log() -> None:
    assert judge(Pending(41, "evt-a"), _at(41, "evt-a"), 43)[0] == "same"


def test_another_event_at_the_stored_offset_is_a_replaced_log() -> None:
    assert judge(Pending(41, "evt-a"), _at(41, "evt-b"), 900) == (
        "replaced",
        "another event at the stored offset",
    )


def test_an_unknown_mark_trusts_the_offset() -> None:
    """State written before marks existed (or an unreadable last message): offsets only."""
    assert judge(Pending(41, None), _at(41, "evt-b"), 900)[0] == "same"
    assert judge(Pending(41, None), _at(41, None), 900)[0] == "same"


def test_a_consumer_reset_to_a_lower_offset_is_a_replaced_log() -> None:
    assert judge(Pending(41, "evt-a"), _at(0, "evt-x"), 3) == (
        "replaced",
        "log restarts at offset 0",
    )


def test_a_later_first_offset_is_retention_not_a_new_log() -> None:
    assert judge(Pending(41, "evt-a"), _at(500, "evt-x"), 900)[0] == "same"


def test_a_log_ending_at_or_before_the_stored_offset_is_replaced() -> None:
    assert judge(Pending(41, "evt-a"), None, 0) == ("replaced", "log ends at offset 0")
    assert judge(Pending(41, "evt-a"), None, 41)[0] == "replaced"


def test_no_fetch_yet_or_a_log_past_the_stored_offset_waits() -> None:
    """No message and a watermark past the stored offset: no verdict on an empty answer."""
    assert judge(Pending(41, "evt-a"), None, None)[0] == "wait"
    assert judge(Pending(41, "evt-a"), None, 42)[0] == "wait"


def test_failed_batches_back_off_to_ten_seconds() -> None:
    assert [retry_delay(n) for n in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert retry_delay(10_000) == 10.0
