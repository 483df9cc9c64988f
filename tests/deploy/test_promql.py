"""The name extraction the metric checks rely on."""

from __future__ import annotations

from tests.deploy.promql import exported_names, metric_names


def test_names_come_out_of_selectors_not_functions_labels_or_durations() -> None:
    expr = (
        'histogram_quantile(0.99, sum by (le, path) (rate(a_bucket{job=~"$j.*", x="b_c"}'
        "[$__rate_interval]))) > 1e3 and on (instance) b_total offset 5m or vector(0)"
    )
    assert metric_names(expr) == {"a_bucket", "b_total"}


def test_exported_names_follow_the_exposition_suffixes() -> None:
    families = [("c", "counter"), ("h", "histogram"), ("g", "gauge")]
    assert exported_names(families) == {"c_total", "h_bucket", "h_sum", "h_count", "g"}
