"""The analysis engine: canonical layers in, every figure the app, big screen, exports and CLI show out.

The package root is the API (:class:`Engine`); modules behind it may move.
"""

from __future__ import annotations

from dashboard.engine.core import DEFAULT_GRID_CELL_M, LEVELS, Engine
from dashboard.engine.metrics import METRICS, Metric

__all__ = ["DEFAULT_GRID_CELL_M", "LEVELS", "METRICS", "Engine", "Metric"]
