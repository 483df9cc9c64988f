"""The alerting rules load in Prometheus (`promtool check rules`) and each alert fires on
the trouble it names and not on a healthy stack (`promtool test rules`)."""

from __future__ import annotations

import shutil
import subprocess

from tests.deploy.monitoring import PROMETHEUS, RULES, rule_exprs

# What an operator is promised to be paged for (README, "Operating LeadPulse").
ALERTS = {
    "LeadPulseScorerLagGrowing",
    "LeadPulseDeadLetters",
    "LeadPulseIntakeServerErrors",
    "LeadPulseSpoolInUse",
    "LeadPulseNotReady",
    "LeadPulseDown",
}


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    assert binary, "promtool is missing: `make deploy-tools` installs it"
    return subprocess.run(
        [binary, *args], capture_output=True, text=True, timeout=120, cwd=PROMETHEUS, check=False
    )


def test_the_rules_pass_promtool_check() -> None:
    done = promtool("check", "rules", RULES.name)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in done.stdout


def test_each_alert_fires_when_it_should_and_only_then() -> None:
    done = promtool("test", "rules", "leadpulse-rules.test.yaml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_promised_alert_is_a_rule_and_has_a_unit_test() -> None:
    assert set(rule_exprs()) == ALERTS
    tests = (PROMETHEUS / "leadpulse-rules.test.yaml").read_text(encoding="utf-8")
    for alert in ALERTS:
        assert f"alertname: {alert}" in tests, alert
