"""The Grafana dashboard imports cleanly and shows what the operator watches."""

from __future__ import annotations

import json
from typing import Any

from tests.deploy.monitoring import DASHBOARD, dashboard_exprs
from tests.deploy.promql import metric_names


def test_every_panel_queries_the_chosen_prometheus() -> None:
    board: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert board["uid"] and board["title"]
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert panel["targets"], panel["title"]
        assert all(target["expr"].strip() for target in panel["targets"]), panel["title"]


def test_the_signals_an_operator_watches_have_panels() -> None:
    shown = set().union(*(metric_names(e) for es in dashboard_exprs().values() for e in es))
    for metric in (
        "leadpulse_ingest_events_accepted_total",
        "leadpulse_ingest_events_rejected_total",
        "leadpulse_ingest_spool_bytes",
        "leadpulse_ingest_spool_events",
        "leadpulse_scorer_lag_messages",
        "leadpulse_scorer_batch_seconds_bucket",
        "leadpulse_router_delivered_total",
        "leadpulse_router_retried_total",
        "leadpulse_router_dead_lettered_total",
    ):
        assert metric in shown, metric
