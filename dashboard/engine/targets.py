"""Yearly indicators against their targets: progress, trend and one status per indicator.

The targets are data (rows of the indicators layer with 类型 目标), not code.
Progress is the latest actual value divided by the target; the trend is the
least-squares slope of the actual values per year, extended to the target
year (``projected``).

Every caller — the 指标 page, the overview, the big screen's cards and
``ipgrid targets`` — shows the one status decided here (:func:`judge`), one
of :class:`TargetStatus`:

* the latest actual year is the target year or later: **达标** when the
  latest value reaches the target, else **未达标**, with ``gap`` = target −
  latest in the indicator's unit;
* before the target year: **按趋势可达标** when the trend line reaches the
  target by the target year, else **按趋势难以达标**;
* **无数据**: no target, no actual value, or (before the target year) fewer
  than two actual years, so no trend.

"Reaches" means ≥ within a relative tolerance of :data:`TOLERANCE` (so a
value converted from 万元 that lands a rounding error below the target still
counts).  Higher is better for every indicator: the four of the district's
outline (two shares of GDP, pledge financing "> 20 亿元", high-value
inventions per 10,000 residents) all grow towards their targets, and
neither the indicators catalog (:mod:`loaders.indicator_catalog`) nor the
domain notes name one where lower is better.

``on_track`` is kept for existing callers: True for 达标 and 按趋势可达标,
False for 未达标 and 按趋势难以达标, None for 无数据.  ``tone`` is the
colour class of the status (:data:`STATUS_TONES`: ``good``, ``bad``, ``none``).
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Final, Literal

import numpy as np
import pandas as pd

from dashboard.engine.formats import as_float, format_number, with_unit

TARGET_COLUMNS = ("key", "label", "unit", "target_year", "target", "latest_year", "latest", "progress",
                  "slope_per_year", "projected", "on_track", "trend", "bottom_up", "status", "gap", "tone")
"""Columns of :func:`target_progress`, in order."""

TOLERANCE: Final = 1e-9
"""Relative tolerance of "reaches the target": ``value >= target - TOLERANCE * max(1, |target|)``."""


GAP_DIGITS: Final = 12
"""Significant digits kept in ``gap`` (16 − 15.2 is 0.8, not the subtraction's 0.8000000000000007)."""


class TargetStatus(StrEnum):
    """Where an indicator stands against its target (the value is the Chinese label shown everywhere)."""

    REACHED = "达标"
    MISSED = "未达标"
    ON_TRACK = "按趋势可达标"
    OFF_TRACK = "按趋势难以达标"
    NO_DATA = "无数据"


Tone = Literal["good", "bad", "none"]

STATUS_TONES: Final[dict[TargetStatus, Tone]] = {
    TargetStatus.REACHED: "good",
    TargetStatus.ON_TRACK: "good",
    TargetStatus.MISSED: "bad",
    TargetStatus.OFF_TRACK: "bad",
    TargetStatus.NO_DATA: "none",
}
"""Status → colour class: ``good`` (green), ``bad`` (orange), ``none`` (neutral)."""

_ON_TRACK: Final[dict[Tone, bool | None]] = {"good": True, "bad": False, "none": None}


def _reaches(value: float, target: float) -> bool:
    return value >= target - TOLERANCE * max(1.0, abs(target))


def judge(target_year: int | None, target: float, latest_year: int | None, latest: float,
          projected: float, actual_years: int) -> tuple[TargetStatus, float]:
    """The status of one indicator and, for 未达标, the gap to the target.

    Parameters
    ----------
    target_year, target
        The target; ``None`` / NaN when the indicator has none.
    latest_year, latest
        The latest actual value; ``None`` / NaN when there is none.
    projected
        The trend line's value at the target year (NaN without a trend).
    actual_years
        How many years have an actual value.

    Returns
    -------
    tuple of (TargetStatus, float)
        The status and ``target - latest`` (to :data:`GAP_DIGITS` significant
        digits) when it is 未达标, else NaN.

    Examples
    --------
    >>> judge(2025, 16.0, 2025, 15.2, math.nan, 3)
    (<TargetStatus.MISSED: '未达标'>, 0.8)
    >>> judge(2025, 18.0, 2023, 14.0, 18.0, 3)[0], judge(2025, 6.0, 2024, 3.0, math.nan, 1)[0]
    (<TargetStatus.ON_TRACK: '按趋势可达标'>, <TargetStatus.NO_DATA: '无数据'>)
    """
    if target_year is None or latest_year is None or not math.isfinite(target) or not math.isfinite(latest):
        return TargetStatus.NO_DATA, math.nan
    if latest_year >= target_year:
        if _reaches(latest, target):
            return TargetStatus.REACHED, math.nan
        return TargetStatus.MISSED, float(f"{target - latest:.{GAP_DIGITS}g}")
    if actual_years < 2 or not math.isfinite(projected):
        return TargetStatus.NO_DATA, math.nan
    return (TargetStatus.ON_TRACK if _reaches(projected, target) else TargetStatus.OFF_TRACK), math.nan


def gap_text(gap: object, unit: str) -> str:
    """How far a missed target was missed, in the indicator's unit (a share in 个百分点).

    Examples
    --------
    >>> gap_text(0.8, "%"), gap_text(3.0, "件"), gap_text(1.25, "亿元")
    ('差 0.8 个百分点', '差 3 件', '差 1.25 亿元')
    """
    number = format_number(gap, 2, trim=True)
    return f"差 {number} 个百分点" if unit == "%" else f"差 {with_unit(number, unit)}"


def status_text(status: TargetStatus | str, gap: object, unit: str) -> str:
    """The status as a sentence part: its label, and for 未达标 the gap (``未达标（差 3 件）``).

    Examples
    --------
    >>> status_text(TargetStatus.MISSED, 3.0, "件"), status_text("按趋势可达标", float("nan"), "件")
    ('未达标（差 3 件）', '按趋势可达标')
    """
    status = TargetStatus(status)
    return f"{status.value}（{gap_text(gap, unit)}）" if status is TargetStatus.MISSED else status.value


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
        ``(year, value)`` pairs of the actual series; ``status`` is a
        :class:`TargetStatus` value (plain text), ``gap`` the shortfall of a
        未达标 indicator (NaN otherwise), ``tone`` its colour class.
    """
    bottom_up = bottom_up or {}
    if indicators is None or len(indicators) == 0:
        return pd.DataFrame(columns=list(TARGET_COLUMNS))
    rows = []
    for key, group in indicators.groupby("key", sort=False):
        actual_rows = group[group["kind"] == "actual"].dropna(subset=["value"])
        actual: pd.Series = actual_rows.groupby("year")["value"].last().sort_index()
        targets = group[group["kind"] == "target"].dropna(subset=["value"]).sort_values("year")
        target_year = int(targets["year"].iloc[-1]) if len(targets) else None
        target = as_float(targets["value"].iloc[-1]) if len(targets) else np.nan
        latest_year = int(actual.index.to_numpy()[-1]) if len(actual) else None
        latest = as_float(actual.iloc[-1]) if len(actual) else np.nan
        progress = latest / target if target and not np.isnan(target) and not np.isnan(latest) else np.nan
        slope = projected = np.nan
        if len(actual) >= 2:
            years = actual.index.to_numpy(dtype="float64")
            slope, intercept = np.polyfit(years, actual.to_numpy(dtype="float64"), 1)
            if target_year is not None and latest_year is not None:
                projected = slope * max(float(target_year), float(latest_year)) + intercept
        if latest_year is not None and target_year is not None and latest_year >= target_year:
            projected = latest
        status, gap = judge(target_year, target, latest_year, latest, float(projected), len(actual))
        tone = STATUS_TONES[status]
        rows.append({
            "key": key, "label": group["label"].iloc[0], "unit": group["unit"].iloc[0],
            "target_year": target_year, "target": target, "latest_year": latest_year, "latest": latest,
            "progress": progress, "slope_per_year": slope, "projected": projected, "on_track": _ON_TRACK[tone],
            "trend": [(int(y), as_float(v)) for y, v in zip(actual.index.to_numpy(), actual.to_numpy(), strict=True)],
            "bottom_up": bottom_up.get(str(key), np.nan),
            "status": status.value, "gap": gap, "tone": tone,
        })
    return pd.DataFrame(rows, columns=list(TARGET_COLUMNS))
