"""How `-n N --dist loadgroup` shares the suite out among workers (tests/conftest.py).

Two rules. Tests that start a whole `leadpulse dev` stack (or hold its default ports) run one
after another on one worker. And the slowest tests start first: xdist hands work out in
collection order (after larger groups), so a long test collected late runs alone at the end
while the other workers sit idle.
"""

from __future__ import annotations

import pytest
from xdist.scheduler import LoadGroupScheduling

WHOLE_STACK_GROUP = "whole_stack"
WHOLE_STACK = ("tests/e2e/", "tests/integration/cli/test_dev", "tests/deploy/test_exported")

# The slowest tests outside that group, slowest first, with their seconds on the 2-core
# machine under `make test`. Tests of 10 s or more belong here; one missing only runs later.
SLOW_FIRST = (
    "tests/integration/scorer/test_predict_population.py::test_p_convert_learned",  # 200
    "tests/soak/test_soak.py::",  # 80
    "tests/fault/router/test_crm_crash.py::test_sigkill_mid_batch",  # 37
    "tests/fault/router/test_router_crash.py::test_sigkill_mid_delivery",  # 28
    "tests/integration/scorer/test_exactly_once.py::test_valkey_losing_its_last_writes",  # 2 x 25
    "tests/fault/scorer/test_sigkill.py::test_sigkill_mid_stream",  # 25
    "tests/integration/dashboard/test_replay_through_router.py::test_a_letter_shows",  # 25
    "tests/integration/scorer/test_log_reset.py::test_a_restart_on_a_healthy_log",  # 2 x 20
    "tests/integration/scorer/test_predict_population.py::test_replaying_the_outcomes",  # 17
    "tests/integration/kafka/test_contiguous_fetch.py::test_a_tailing_consumer",  # 16
    "tests/fault/ingest/test_broker_outage.py::",  # 16
    "tests/fault/scorer/test_fresh_broker.py::test_a_fresh_broker_under_kept_state",  # 2 x 15
    "tests/fault/scorer/test_fresh_broker.py::test_a_new_log_longer",  # 2 x 15
    "tests/integration/scorer/test_rescore.py::test_rescore_after_a_rule_change",  # 2 x 14
    "tests/integration/scorer/test_rescore_examples.py::test_rescore_publishes",  # 2 x 13
    "tests/integration/scorer/test_merge_stages.py::test_rescore_rebuilds",  # 2 x 13
    "tests/integration/scorer/test_lead_index.py::test_the_indexed_list_equals",  # 2 x 12
    "tests/integration/router/test_crm_commands.py::test_crm_backfill",  # 12
)


def in_whole_stack_group(nodeid: str) -> bool:
    return nodeid.startswith(WHOLE_STACK)


def start_rank(item: pytest.Item) -> int:
    """Where a test starts: its place in SLOW_FIRST, or after all of them."""
    for rank, prefix in enumerate(SLOW_FIRST):
        if item.nodeid.startswith(prefix):
            return rank
    return len(SLOW_FIRST)


class StackGroupScheduling(LoadGroupScheduling):
    """loadgroup that groups the whole-stack tests by their path.

    xdist 3.8 names a test's group by appending `@group` to its node id, which pytest 9.2's
    structured node ids no longer take (pytest-xdist issue 1386): the `xdist_group` mark
    alone silently groups nothing, and the stacks of several modules started at once.
    """

    def _split_scope(self, nodeid: str) -> str:
        if in_whole_stack_group(nodeid):
            return WHOLE_STACK_GROUP
        return super()._split_scope(nodeid)
