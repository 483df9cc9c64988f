"""The queries an operator's Grafana and Prometheus run, read from deploy/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

__all__ = ["DASHBOARD", "PROMETHEUS", "RULES", "dashboard_exprs", "rule_exprs"]

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
DASHBOARD = DEPLOY / "grafana" / "leadpulse.json"
PROMETHEUS = DEPLOY / "prometheus"
RULES = PROMETHEUS / "leadpulse-rules.yaml"


def dashboard_exprs() -> dict[str, list[str]]:
    """Panel title -> its queries."""
    board: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return {
        panel["title"]: [target["expr"] for target in panel["targets"]]
        for panel in board["panels"]
        if panel["type"] != "row"
    }


def rule_exprs() -> dict[str, str]:
    """Alert name -> its expression."""
    rules: dict[str, Any] = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return {rule["alert"]: rule["expr"] for group in rules["groups"] for rule in group["rules"]}
