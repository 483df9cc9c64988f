"""Funnel counters: entries, transitions, balances and channels per UTC day, and retraction."""

from __future__ import annotations

from scorer.core.steps import Entry
from scorer.storage.funnel import count_history, day_of, record_entry, record_exit
from scorer.storage.keys import PartitionKeys
from scorer.storage.writes import WriteSet
from tests.unit.scorer.effects import funnel, t

PK = PartitionKeys(0)
DAY1, DAY2 = "2026-03-02", "2026-03-03"


def test_a_new_lead_counts_as_an_entry_and_one_in_balance_by_channel() -> None:
    ws = WriteSet(PK)
    record_entry(ws, PK, t(0), "lead", None, "google", "spring")
    assert funnel(ws) == {
        f"flow|{DAY1}|lead": 1,
        f"bal|{DAY1}|lead": 1,
        f"src|{DAY1}|lead|google": 1,
        f"cmp|{DAY1}|lead|spring": 1,
    }


def test_a_move_is_a_transition_and_moves_the_balance() -> None:
    ws = WriteSet(PK)
    record_entry(ws, PK, t(0), "mql", "lead", None, None)
    counts = funnel(ws)
    assert counts[f"tr|{DAY1}|lead|mql"] == 1
    assert (counts[f"bal|{DAY1}|lead"], counts[f"bal|{DAY1}|mql"]) == (-1, 1)
    assert counts[f"src|{DAY1}|mql|(none)"] == 1


def test_a_channel_name_cannot_forge_another_counter_field() -> None:
    """A `|` in a utm value would split the field: it is written as `/`, and kept short."""
    ws = WriteSet(PK)
    record_entry(ws, PK, t(0), "lead", None, "a|b", "x" * 300)
    fields = set(funnel(ws))
    assert f"src|{DAY1}|lead|a/b" in fields
    assert f"cmp|{DAY1}|lead|{'x' * 100}" in fields


def test_the_day_is_the_events_utc_day() -> None:
    assert day_of(t(days=1) - 9 * 3600 - 0.5) == DAY1
    assert day_of(t(days=1) - 9 * 3600) == DAY2


def test_a_history_taken_back_and_walked_again_nets_to_the_difference() -> None:
    """Retraction: counting the old history -1 and the new +1 leaves only what changed."""
    old = [Entry("lead", t(0), "new", "e0"), Entry("mql", t(days=1), "fast_pass", "late")]
    new = [Entry("lead", t(0), "new", "e0"), Entry("mql", t(10), "fast_pass", "early")]
    ws = WriteSet(PK)
    count_history(ws, PK, old, -1)
    count_history(ws, PK, new, 1)
    assert funnel(ws) == {
        f"flow|{DAY2}|mql": -1,
        f"flow|{DAY1}|mql": 1,
        f"tr|{DAY2}|lead|mql": -1,
        f"tr|{DAY1}|lead|mql": 1,
        f"bal|{DAY2}|lead": 1,
        f"bal|{DAY2}|mql": -1,
        f"bal|{DAY1}|lead": -1,
        f"bal|{DAY1}|mql": 1,
        f"src|{DAY2}|mql|(none)": -1,
        f"src|{DAY1}|mql|(none)": 1,
        f"cmp|{DAY2}|mql|(none)": -1,
        f"cmp|{DAY1}|mql|(none)": 1,
    }


def test_a_history_counted_and_taken_back_leaves_nothing() -> None:
    history = [Entry("lead", t(0)), Entry("mql", t(5)), Entry("sal", t(days=3))]
    ws = WriteSet(PK)
    count_history(ws, PK, history, 1)
    count_history(ws, PK, history, -1)
    assert funnel(ws) == {}


def test_a_lead_leaving_the_funnel_leaves_its_stages_balance() -> None:
    ws = WriteSet(PK)
    count_history(ws, PK, [Entry("lead", t(0)), Entry("mql", t(5))], 1)
    record_exit(ws, PK, t(days=1), "mql")
    balance = {k: n for k, n in funnel(ws).items() if k.startswith("bal|")}
    assert balance == {f"bal|{DAY1}|mql": 1, f"bal|{DAY2}|mql": -1}
    assert sum(balance.values()) == 0
