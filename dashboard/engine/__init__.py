"""The analysis engine: canonical layers in, every figure the app, big screen, exports and CLI show out.

The package root is the API (:class:`Engine`, the metrics registry and the
catalog of names and formats); modules behind it may move.
"""

from __future__ import annotations

from dashboard.engine.catalog import LEVEL_LABELS, LEVELS
from dashboard.engine.core import DEFAULT_GRID_CELL_M, TARGET_MEASURES, Engine, Kpi
from dashboard.engine.metrics import METRICS, Metric

__all__ = ["DEFAULT_GRID_CELL_M", "LEVELS", "LEVEL_LABELS", "METRICS", "TARGET_MEASURES", "Engine", "Kpi", "Metric"]
