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
    "natural_breaks": ("jenks", "自然断点"),
    "equal_interval": ("EqualInterval", "等间距"),
}
"""Natural breaks use Fisher-Jenks (:func:`jenks_breaks`, exact and deterministic):
mapclassify's ``NaturalBreaks`` runs an unseeded k-means, which would give the app and a
later export different classes, and its ``FisherJenks`` is pure Python without numba
(9 s for 2,000 values here)."""

JENKS_SAMPLE = 1000
"""Above this many values Fisher-Jenks (quadratic) runs on evenly spaced order statistics."""
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
    exact: bool = False
    """True when every class is one distinct value (fewer distinct values than classes)."""

    @property
    def k(self) -> int:
        """Number of classes."""
        return len(self.bins)

    def bounds(self) -> list[tuple[float, float]]:
        """(lower, upper) of each class (none when every value was null)."""
        if not self.bins:
            return []
        if self.exact:
            return [(b, b) for b in self.bins]
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
        return Classes(scheme, bins, float(distinct[0]), yb, exact=True)
    cls_name = SCHEMES[scheme][0]
    if cls_name == "jenks":
        bins = np.unique(jenks_breaks(data, k))
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = getattr(mapclassify, cls_name)(data, k=k)
        bins = np.unique(np.asarray(model.bins, dtype="float64"))
    yb[finite] = np.searchsorted(bins, data, side="left").clip(0, len(bins) - 1)
    return Classes(scheme, tuple(float(b) for b in bins), float(data.min()), yb)


def jenks_breaks(values: np.ndarray, k: int) -> np.ndarray:
    """Fisher-Jenks natural breaks: the upper bound of each of ``k`` classes.

    The exact optimum (least within-class sum of squares) by dynamic
    programming, each step one vectorized numpy pass over an n × n cost
    matrix.  More than :data:`JENKS_SAMPLE` values are first reduced to evenly
    spaced order statistics (minimum and maximum kept), as mapclassify's
    ``FisherJenksSampled`` does at random; here the sample is deterministic.

    Examples
    --------
    >>> jenks_breaks(np.array([1, 2, 3, 10, 11, 12, 50, 51]), 3).tolist()
    [3.0, 12.0, 51.0]
    """
    x = np.sort(np.asarray(values, dtype="float64"))
    if len(x) > JENKS_SAMPLE:
        x = x[np.linspace(0, len(x) - 1, JENKS_SAMPLE).round().astype(int)]
    n = len(x)
    k = max(1, min(k, n))
    s1 = np.concatenate([[0.0], np.cumsum(x)])
    s2 = np.concatenate([[0.0], np.cumsum(x * x)])
    i = np.arange(n)[:, None]  # segment start
    j = np.arange(n)[None, :]  # segment end (inclusive)
    count = (j - i + 1).astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        ssd = (s2[j + 1] - s2[i]) - (s1[j + 1] - s1[i]) ** 2 / count
    ssd = np.where(j >= i, np.maximum(ssd, 0.0), np.inf)
    cost = ssd[0].copy()  # one class covering x[0..j]
    starts = []
    for _ in range(1, k):
        # last class starts at i >= 1; the classes before it cover x[0..i-1]
        total = np.full((n, n), np.inf)
        total[1:] = cost[:-1, None] + ssd[1:]
        best = np.argmin(total, axis=0)
        cost = total[best, np.arange(n)]
        starts.append(best)
    ends = [n - 1]
    for best in reversed(starts):
        ends.append(int(best[ends[-1]]) - 1)
    return x[np.array(sorted(e for e in ends if e >= 0))]


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
