"""The stage machine: every row of DESIGN.md's table, fast pass, recycle, dead end."""

from __future__ import annotations

import pytest

from scorer.core.stages import Signals, transitions

T = 1_000_000.0


@pytest.mark.parametrize(
    ("stage", "signals", "expected"),
    [
        ("visitor", Signals(T, engaging=True), []),
        ("visitor", Signals(T, identified=True), [("lead", "identified")]),
        ("lead", Signals(T, identified=True, nurturing=True), [("nurturing", "engaged")]),
        (
            "nurturing",
            Signals(T, identified=True, over_threshold=True),
            [("mql", "score_threshold")],
        ),
        ("lead", Signals(T, identified=True, fast_pass=True), [("mql", "fast_pass")]),
        (
            "visitor",
            Signals(T, identified=True, fast_pass=True),
            [("lead", "identified"), ("mql", "fast_pass")],
        ),
        ("visitor", Signals(T, fast_pass=True), []),
        ("mql", Signals(T, crm_outcome="accepted"), [("sal", "crm:accepted")]),
        ("sal", Signals(T, crm_outcome="qualified"), [("sql", "crm:qualified")]),
        ("sql", Signals(T, crm_outcome="opportunity"), [("opportunity", "crm:opportunity")]),
        ("opportunity", Signals(T, crm_outcome="won"), [("customer", "crm:won")]),
        ("opportunity", Signals(T, crm_outcome="lost"), [("recycle", "crm:lost")]),
        ("mql", Signals(T, crm_outcome="not_now"), [("recycle", "crm:not_now")]),
        ("lead", Signals(T, crm_outcome="disqualified"), [("dead_end", "crm:disqualified")]),
        ("lead", Signals(T, crm_outcome="won"), [("customer", "crm:won")]),
        ("dead_end", Signals(T, crm_outcome="lost"), []),
        ("dead_end", Signals(T, identified=True, fast_pass=True), []),
        (
            "nurturing",
            Signals(T, identified=True, disqualified="student"),
            [("dead_end", "disqualified:student")],
        ),
        ("sal", Signals(T, identified=True, disqualified="student"), []),
        ("sql", Signals(T, identified=True, over_threshold=True, nurturing=True), []),
        ("mql", Signals(T, identified=True, over_threshold=True), []),
        (
            "recycle",
            Signals(T, identified=True, engaging=True, paused_until=T + 10),
            [],
        ),
        (
            "recycle",
            Signals(T, identified=True, engaging=True, paused_until=T - 10),
            [("nurturing", "re_engaged")],
        ),
        (
            "recycle",
            Signals(T, identified=True, fast_pass=True, paused_until=T + 10),
            [("mql", "fast_pass")],
        ),
    ],
    ids=[
        "anonymous-stays-visitor",
        "identify-makes-lead",
        "engagement-nurtures",
        "threshold-mql",
        "fast-pass",
        "new-lead-fast-pass-two-steps",
        "anonymous-fast-pass-waits",
        "crm-accepted",
        "crm-qualified",
        "crm-opportunity",
        "crm-won",
        "crm-lost",
        "crm-not-now",
        "crm-disqualified",
        "crm-out-of-order",
        "dead-end-never-recycled",
        "dead-end-stays",
        "disqualify-trait",
        "sales-stage-not-disqualified-by-marketing",
        "sales-stage-ignores-marketing",
        "mql-stays",
        "recycle-paused",
        "recycle-re-engaged",
        "recycle-fast-pass-while-paused",
    ],
)
def test_transitions(stage: str, signals: Signals, expected: list[tuple[str, str]]) -> None:
    """A stage and an event's signals give the moves of DESIGN.md's table."""
    assert transitions(stage, signals) == expected
