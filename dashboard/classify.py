"""Class breaks for choropleths, shared by the app's maps, the big screen and the static exports.

A registry keyed by name dispatches to mapclassify; an unknown name lists the
valid ones.  The same values and scheme give the same breaks everywhere, so a
PNG pasted into a report matches what the app showed.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import mapclassify
import numpy as np

SCHEMES: dict[str, tuple[str, str]] = {
    "quantiles": ("Quantiles", "分位数"),
    "natural_breaks": ("NaturalBreaks", "自然断点"),
    "equal_interval": ("EqualInterval", "等间距"),
}
"""Scheme key → (mapclassify class name, Chinese label)."""

DEFAULT_SCHEME = "natural_breaks"
DEFAULT_K = 5


@dataclass(frozen=True)
class Classes:
    """Breaks of a classification and the class of each value.

    ``bins`` are upper bounds (the last equals the maximum); ``lower`` is the
    minimum.  ``yb`` is the class of each input value, -1 for null values.
    """

    scheme: str
    bins: tuple[float, ...]
    lower: float
    yb: np.ndarray

    @property
    def k(self) -> int:
        """Number of classes."""
        return len(self.bins)

    def bounds(self) -> list[tuple[float, float]]:
        """(lower, upper) of each class."""
        lows = [self.lower, *self.bins[:-1]]
        return list(zip(lows, self.bins, strict=True))


def classify(values: np.ndarray, scheme: str = DEFAULT_SCHEME, k: int = DEFAULT_K) -> Classes:
    """Classify ``values`` (NaN allowed) with ``scheme`` into at most ``k`` classes.

    Fewer distinct values than ``k`` gives one class per distinct value
    (mapclassify would warn and repeat breaks).

    Raises
    ------
    ValueError
        ``scheme`` is not a key of :data:`SCHEMES`.
    """
    if scheme not in SCHEMES:
        msg = f"分级方法应为 {sorted(SCHEMES)} 之一，而不是 {scheme!r}"
        raise ValueError(msg)
    values = np.asarray(values, dtype="float64")
    finite = np.isfinite(values)
    yb = np.full(len(values), -1, dtype=np.int64)
    if not finite.any():
        return Classes(scheme, (), np.nan, yb)
    data = values[finite]
    distinct = np.unique(data)
    if len(distinct) <= k:
        bins = tuple(float(v) for v in distinct)
        yb[finite] = np.searchsorted(distinct, data)
        return Classes(scheme, bins, float(distinct[0]), yb)
    cls_name = SCHEMES[scheme][0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kwargs = {"k": k}
        if cls_name == "NaturalBreaks":
            kwargs["initial"] = 10
        model = getattr(mapclassify, cls_name)(data, **kwargs)
    bins = np.unique(np.asarray(model.bins, dtype="float64"))
    yb[finite] = np.searchsorted(bins, data, side="left").clip(0, len(bins) - 1)
    return Classes(scheme, tuple(float(b) for b in bins), float(data.min()), yb)


def format_bound(value: float, unit: str = "", percent: bool = False, decimals: int | None = None) -> str:
    """A class bound as shown in legends: percents as %, large numbers with separators."""
    if percent:
        return f"{value * 100:.{1 if decimals is None else decimals}f}%"
    if decimals is None:
        decimals = 0 if float(value).is_integer() or abs(value) >= 100 else (1 if abs(value) >= 10 else 2)
    return f"{value:,.{decimals}f}{unit}"


def legend_labels(classes: Classes, unit: str = "", percent: bool = False, decimals: int | None = None
                  ) -> list[str]:
    """Chinese legend text of each class, e.g. ``"12 – 30 件"``."""
    labels = []
    for low, high in classes.bounds():
        lo, hi = format_bound(low, "", percent, decimals), format_bound(high, "", percent, decimals)
        text = lo if lo == hi else f"{lo} – {hi}"
        labels.append(f"{text} {unit}".strip() if unit and not percent else text)
    return labels
