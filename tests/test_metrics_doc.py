"""docs/metrics.md shows the metrics registry as it is (generated from it, kept equal here)."""

from __future__ import annotations

from pathlib import Path

from dashboard.engine.metrics import METRICS, metrics_markdown

DOC = Path(__file__).resolve().parents[1] / "docs" / "metrics.md"


def test_doc_table_is_the_registry() -> None:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("<!-- metrics-table:start -->") + len("<!-- metrics-table:start -->")
    end = text.index("<!-- metrics-table:end -->")
    assert text[start:end].strip() == metrics_markdown()


def test_every_metric_has_label_unit_definition_and_sources() -> None:
    for metric in METRICS.values():
        assert metric.label and metric.definition and metric.sources, metric.key
        assert metric.kind in ("count", "sum", "ratio", "measure", "text")


def test_format_null_and_percent() -> None:
    assert METRICS["ip_coverage_rate"].format(0.6056) == "60.6%"
    assert METRICS["ip_coverage_rate"].format(float("nan")) == "—"
    assert METRICS["pledge_amount_wan"].format(64120) == "64,120.0 万元"
