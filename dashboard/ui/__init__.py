"""Shared UI of the app's pages: header and badge, problems banner, sidebar, tables and downloads, URL state.

The package root is the API; modules behind it may move.
"""

from __future__ import annotations

from dashboard.engine.catalog import DEFAULT_METRIC, FIRM_LABELS, column_label
from dashboard.ui.chrome import (
    APP_TITLE,
    Controls,
    MapSpec,
    available_layers,
    available_levels,
    demo_badge,
    header,
    kpi,
    kpi_card,
    md_text,
    meta_rows,
    metric_kpi,
    page_actions,
    problems_banner,
    region_meta_rows,
    sidebar,
)
from dashboard.ui.state import Bound, bind, label_of, publish, set_value, start_run
from dashboard.ui.tables import download_xlsx, present, show_table, to_xlsx

__all__ = [
    "APP_TITLE",
    "DEFAULT_METRIC",
    "FIRM_LABELS",
    "Bound",
    "Controls",
    "MapSpec",
    "available_layers",
    "available_levels",
    "bind",
    "column_label",
    "demo_badge",
    "download_xlsx",
    "header",
    "kpi",
    "kpi_card",
    "label_of",
    "md_text",
    "metric_kpi",
    "meta_rows",
    "page_actions",
    "present",
    "problems_banner",
    "publish",
    "region_meta_rows",
    "set_value",
    "show_table",
    "sidebar",
    "start_run",
    "to_xlsx",
]
