"""The dashboard's CRM panels rendered from typed rows: relative times, links, escaping."""

from __future__ import annotations

from ingest.dashboard.crm_panels import ago, connectors_panel, lead_crm_table
from leadpulse.kernel.crm_log import ConnectorHealth, CrmRecord

NOW = 1_764_979_200.0
KINDS = {"hubspot": "hubspot", "salesforce": "salesforce"}


def test_last_success_reads_as_a_relative_time() -> None:
    assert ago(None, NOW) == "never"
    assert ago(NOW - 12, NOW) == "just now"
    assert ago(NOW - 4 * 60 - 5, NOW) == "4 min ago"
    assert ago(NOW - 3 * 3600, NOW) == "3 h ago"
    assert ago(NOW - 2 * 86_400 - 10, NOW) == "2 d ago"


def test_a_hubspot_contact_is_linked_only_when_the_portal_is_known() -> None:
    records = [CrmRecord("hubspot", "5101", NOW - 30), CrmRecord("salesforce", "00Q1", NOW)]
    linked = lead_crm_table(records, KINDS, 4471, NOW)
    assert 'href="https://app.hubspot.com/contacts/4471/record/0-1/5101"' in linked
    assert linked.count("<a ") == 1  # Salesforce's id is shown, not linked
    plain = lead_crm_table(records, KINDS, None, NOW)
    assert "<a " not in plain and "<code>5101</code>" in plain


def test_ids_and_names_are_escaped() -> None:
    html = lead_crm_table([CrmRecord("hubspot", '"><script>', NOW)], KINDS, 1, NOW)
    assert "<script>" not in html
    assert "%22%3E%3Cscript%3E" in html  # in the link, quoted


def test_the_panel_has_a_row_per_connector_with_error_rate_and_open_letters() -> None:
    rows = [
        ConnectorHealth("hubspot", NOW - 90, 10, 20, 1, 3, 4, 1),
        ConnectorHealth("salesforce"),
    ]
    html = connectors_panel(rows, KINDS, NOW)
    assert '<tr data-connector="hubspot">' in html and "1 min ago" in html
    assert ">5.0%</td>" in html and ">3</td>" in html
    assert ">n/a</td>" in html and ">never<" in html
    assert connectors_panel([], KINDS, NOW) == ""
