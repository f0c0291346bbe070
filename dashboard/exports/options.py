"""What a user picks for an export, kept free of heavy imports so the CLI's parser stays fast."""

from __future__ import annotations

from dashboard.engine.metrics import METRICS, STATS_COLUMNS

MAPPABLE_METRICS: tuple[str, ...] = tuple(k for k in STATS_COLUMNS if METRICS[k].kind != "text")
"""Metrics a map can be coloured by (every numeric column of the area tables)."""

DEFAULT_METRIC = "enterprises"
"""Metric of a map when none is chosen (the app's maps open on it too)."""

MAP_LEVELS: tuple[str, ...] = ("district", "town", "park", "grid")
"""Levels a single map can show."""

ATLAS_LEVELS: tuple[str, ...] = ("town", "park", "grid")
"""Levels an atlas can be made of."""

FORMAT_KEYS: tuple[str, ...] = ("png", "pdf", "svg", "html")
"""Keys of :data:`dashboard.exports.snapshot.FORMATS`, in menu order."""
