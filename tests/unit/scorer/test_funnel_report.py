"""The funnel report from counter shards: sums, balances up to `to`, rates, roll-ups."""

from __future__ import annotations

from datetime import date

from scorer.read.funnel_report import funnel_report, period_key


def test_shards_sum_and_balance_counts_everything_up_to_the_end() -> None:
    """Flow counts entries in the period; balance sums every delta up to its end."""
    flow = [{"2026-03-01|lead": 6, "2026-03-02|nurturing": 4}, {b"2026-03-01|lead": 4}]
    moves = [{"2026-03-02|lead|nurturing": 4}, {"2026-03-02|recycle|nurturing": 1}]
    balance = [{"2026-02-01|lead": 3, "2026-03-01|lead": 10, "2026-03-02|lead": -4}]
    balance += [{"2026-03-02|nurturing": 4, "2026-04-01|nurturing": 9}]
    report = funnel_report(
        flow, moves, balance, None, start=date(2026, 3, 1), end=date(2026, 3, 31)
    )
    rows = {r["stage"]: r for r in report["stages"]}
    assert (rows["lead"]["flow"], rows["lead"]["balance"]) == (10, 9)
    assert (rows["nurturing"]["flow"], rows["nurturing"]["balance"]) == (4, 4)
    rates = {(c["from"], c["to"]): c["rate"] for c in report["conversions"]}
    assert rates[("lead", "nurturing")] == 0.4
    assert report["recycled"] == [{"from": "recycle", "to": "nurturing", "count": 1}]


def test_breakdown_and_weekly_series() -> None:
    """by= adds per-key flows; period= rolls days up to ISO weeks or months."""
    flow = [{"2026-03-01|lead": 2, "2026-03-02|lead": 3, "2026-03-09|lead": 1}]
    sources = [{"2026-03-01|lead|ads": 2, "2026-03-02|lead|(none)": 3}]
    report = funnel_report(
        flow, [], [], sources, start=date(2026, 3, 1), end=date(2026, 3, 9), period="week"
    )
    assert [b["key"] for b in report["breakdown"]] == ["(none)", "ads"]
    weeks = {
        s["period"]: {r["stage"]: r["flow"] for r in s["stages"]}["lead"] for s in report["series"]
    }
    assert weeks == {"2026-W09": 2, "2026-W10": 3, "2026-W11": 1}
    assert period_key("2026-03-09", "month") == "2026-03"
