"""The CRM keys' read side: a lead's records and a connector's health from raw hashes."""

from __future__ import annotations

from leadpulse.kernel.crm_log import ConnectorHealth, CrmRecord, connector_health, crm_records


def test_each_connector_that_wrote_the_lead_is_one_record_with_its_id_and_sync() -> None:
    raw: dict[bytes | str, bytes | str] = {
        b"hubspot:seq": b"7",
        b"hubspot:life": b"2",
        b"hubspot:id": b"5101",
        b"hubspot:at": b"1764979200.5",
        b"sf-eu:seq": b"3",  # written before record ids were noted
    }
    assert crm_records(raw) == [
        CrmRecord("hubspot", "5101", 1764979200.5),
        CrmRecord("sf-eu", None, None),
    ]


def test_health_of_a_connector_that_never_wrote_is_zeros_with_no_error_rate() -> None:
    health = connector_health("hubspot", {})
    assert health == ConnectorHealth("hubspot")
    assert health.error_rate is None and health.open_dead_letters == 0


def test_error_rate_is_failed_over_requests_and_open_letters_exclude_replays() -> None:
    raw: dict[bytes | str, bytes | str] = {
        b"last_success": b"1764979200.25",
        b"written": b"120",
        b"requests": b"40",
        b"failed": b"4",
        b"rate_limit_waits": b"9",
        b"dead_lettered": b"5",
        b"replayed": b"3",
    }
    health = connector_health("hubspot", raw)
    assert health.last_success == 1764979200.25 and health.written == 120
    assert health.error_rate == 0.1 and health.rate_limit_waits == 9
    assert health.open_dead_letters == 2
