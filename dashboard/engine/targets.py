"""Yearly indicators against their targets: progress, trend and an on-track flag.

The targets are data (rows of the indicators layer with 类型 目标), not code.
Progress is the latest actual value divided by the target; the trend is the
least-squares slope of the actual values per year; an indicator is on track
when that line, extended to the target year, reaches the target.  With fewer
than two actual years there is no trend and the flag is null.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TARGET_COLUMNS = ("key", "label", "unit", "target_year", "target", "latest_year", "latest", "progress",
                  "slope_per_year", "projected", "on_track", "trend", "bottom_up")


def target_progress(indicators: pd.DataFrame | None,
                    bottom_up: dict[str, float] | None = None) -> pd.DataFrame:
    """One row per indicator that has a target (and per indicator with actual values only).

    Parameters
    ----------
    indicators
        The canonical indicators frame (``key, label, unit, year, value, kind``).
    bottom_up
        Indicator key → the same figure computed from enterprise data (e.g.
        ``high_value_per_10k_pop``), shown next to the reported one.

    Returns
    -------
    DataFrame
        Columns :data:`TARGET_COLUMNS`; ``trend`` holds a list of
        ``(year, value)`` pairs of the actual series.
    """
    bottom_up = bottom_up or {}
    if indicators is None or len(indicators) == 0:
        return pd.DataFrame(columns=list(TARGET_COLUMNS))
    rows = []
    for key, group in indicators.groupby("key", sort=False):
        actual = group[group["kind"] == "actual"].dropna(subset=["value"])
        actual = actual.groupby("year")["value"].last().sort_index()
        targets = group[group["kind"] == "target"].dropna(subset=["value"]).sort_values("year")
        target_year = int(targets["year"].iloc[-1]) if len(targets) else None
        target = float(targets["value"].iloc[-1]) if len(targets) else np.nan
        latest_year = int(actual.index[-1]) if len(actual) else None
        latest = float(actual.iloc[-1]) if len(actual) else np.nan
        progress = latest / target if target and not np.isnan(target) and not np.isnan(latest) else np.nan
        slope = projected = np.nan
        on_track = None
        if len(actual) >= 2:
            years = actual.index.to_numpy(dtype="float64")
            slope, intercept = np.polyfit(years, actual.to_numpy(dtype="float64"), 1)
            if target_year is not None:
                at = max(float(target_year), float(latest_year))
                projected = slope * at + intercept
                if latest_year is not None and latest_year >= target_year:
                    projected = latest
                on_track = bool(projected >= target)
        if latest_year is not None and target_year is not None and latest_year >= target_year:
            on_track = bool(latest >= target)
        rows.append({
            "key": key, "label": group["label"].iloc[0], "unit": group["unit"].iloc[0],
            "target_year": target_year, "target": target, "latest_year": latest_year, "latest": latest,
            "progress": progress, "slope_per_year": slope, "projected": projected, "on_track": on_track,
            "trend": [(int(y), float(v)) for y, v in actual.items()],
            "bottom_up": bottom_up.get(str(key), np.nan),
        })
    return pd.DataFrame(rows, columns=list(TARGET_COLUMNS))
