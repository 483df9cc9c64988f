"""A lead's alert rows: intents and the router's log joined, each alert with one state."""

from __future__ import annotations

import orjson

from leadpulse.kernel.alert_log import alert_rows, destination_field, gate_field, meta_value


def _log(*pairs: tuple[str, str | bytes]) -> dict[bytes, bytes]:
    return {k.encode(): v if isinstance(v, bytes) else v.encode() for k, v in pairs}


def test_an_intent_the_router_has_not_seen_is_pending() -> None:
    [row] = alert_rows([("mql", "al_1", 1_700_000_000.0)], {})
    assert (row["type"], row["alert_id"], row["state"], row["destinations"]) == (
        "mql",
        "al_1",
        "pending",
        [],
    )
    assert row["at"] == "2023-11-14T22:13:20+00:00"


def test_states_from_the_log_and_alerts_only_the_router_knows() -> None:
    log = _log(
        ("al_1", meta_value("mql", 10.0)),
        (gate_field("al_1"), "pass"),
        (destination_field("al_1", "crm"), "delivered"),
        (destination_field("al_1", "slack"), "pending"),
        ("al_2", meta_value("sla_breach", 20.0)),
        (gate_field("al_2"), "pass"),
        (destination_field("al_2", "crm"), "dead_lettered"),
        (destination_field("al_2", "slack"), "delivered"),
        ("al_3", meta_value("sla_breach", 30.0)),
        (gate_field("al_3"), "throttled"),
        ("al_4", meta_value("buying_group", 40.0)),
        (gate_field("al_4"), "pass"),
        (destination_field("al_4", "crm"), "delivered"),
    )
    rows = alert_rows([("mql", "al_1", 10.0)], log)
    assert [(r["alert_id"], r["type"], r["state"]) for r in rows] == [
        ("al_1", "mql", "pending"),
        ("al_2", "sla_breach", "dead_lettered"),
        ("al_3", "sla_breach", "throttled"),
        ("al_4", "buying_group", "delivered"),
    ]
    assert rows[1]["destinations"] == [
        {"destination": "crm", "state": "dead_lettered"},
        {"destination": "slack", "state": "delivered"},
    ]
    assert orjson.loads(meta_value("mql", 1.5)) == {"type": "mql", "at": 1.5}
