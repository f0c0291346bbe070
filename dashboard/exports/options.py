"""What a user picks for an export, kept free of heavy imports so the CLI's parser stays fast.

Metric and level choices are the catalog's (:mod:`dashboard.engine.catalog`); only the export formats are
defined here.
"""

from __future__ import annotations

from dashboard.engine.catalog import AREA_LEVELS, DEFAULT_METRIC, MAPPABLE_METRICS

__all__ = ["ATLAS_LEVELS", "DEFAULT_METRIC", "FORMAT_KEYS", "MAPPABLE_METRICS"]

ATLAS_LEVELS: tuple[str, ...] = AREA_LEVELS
"""Levels an atlas can be made of (one page per area)."""

FORMAT_KEYS: tuple[str, ...] = ("png", "pdf", "svg", "html")
"""Keys of :data:`dashboard.exports.snapshot.FORMATS`, in menu order."""
