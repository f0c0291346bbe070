"""Class breaks for choropleths, shared by the app's maps, the big screen and the static exports.

A registry keyed by name dispatches to mapclassify; an unknown name lists the
valid ones.  The same values and scheme give the same breaks everywhere, so a
PNG pasted into a report matches what the app showed.

Natural breaks are the exact Fisher-Jenks optimum at every size
----------------------------------------------------------------
The app's grid has more than 1,000 cells, so natural breaks must be exact on
all the values, not on a sample: the former path classified 1,000 evenly
spaced order statistics above that size, and its within-class sum of squares
came out 11 % (k = 5) and 2.4 % (k = 9) above the optimum on 5,000 lognormal
values, 5 % and 52 % on 20,000 (``bench/classify.py``, seed 42).  The optimum
now comes from the ``ckmeans`` package: Wang & Song's Ckmeans.1d.dp in Rust,
the same objective and recursion as Fisher-Jenks with a divide-and-conquer
search that makes it O(k n log n) instead of O(k n²).  Why that library
rather than the two obvious candidates — medians of ``bench/classify.py`` on
lognormal values, k = 5 / 9, two shared cores:

=============================  ===============  ===============  ================================
breaks by                      5,000 values     20,000 values    install
=============================  ===============  ===============  ================================
``ckmeans`` 1.2.0 (chosen)     0.5 / 0.8 ms     2.1 / 3.5 ms     0.3 MB wheel, numpy only
``jenkspy`` 0.4.1 (C fish.f)   28 / 45 ms       0.45 / 0.76 s    2.8 MB, numpy only
mapclassify + numba 0.68.1     45 / 75 ms       0.68 / 1.2 s     numba + llvmlite, 210 MB
mapclassify without numba      23 / 35 s        ~6 / 9 min       —
=============================  ===============  ===============  ================================

* Speed: the goal is 0.5 s for 20,000 values with k up to 9.  Both Fisher-Jenks
  implementations are quadratic and miss it; ``classify`` with ckmeans takes
  4 ms there.  Without numba, mapclassify's ``FisherJenks`` runs its loops as
  plain Python.
* Exactness: ckmeans sums in float64 after shifting by the median.
  mapclassify's kernel accumulates in float32, so on 5,000 lognormal values one
  break lands one order statistic off the optimum (a larger within-class error,
  by under one part in a million) for 4 seeds in 40 at k = 5 and 16 in 40 at k = 9; the same
  kernel run in float64 gives ckmeans' breaks in 80 cases of 80.  ckmeans also
  equals jenkspy (float64 fish.f) on every case tried.
* Ties: where two partitions have the same error, all three keep the one whose
  last class starts earliest (fish.f's ``>=``, Ckmeans' strict ``<``), so
  evenly spaced or repeated values get mapclassify's breaks; ckmeans equalled
  jenkspy on 422 tie-heavy integer and rounded samples.  Fewer distinct values
  than classes never reach the library: :func:`classify` makes one class per
  value, as before; non-finite values are left out before it.
* Determinism: a plain dynamic programme, no random start (mapclassify's
  ``NaturalBreaks`` runs an unseeded k-means and ``FisherJenksSampled`` draws a
  random sample), so the app and a later export agree, in any process.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import ckmeans
import mapclassify
import numpy as np

from loaders.errors import ChoiceError

SCHEMES: dict[str, tuple[str, str]] = {
    "quantiles": ("Quantiles", "分位数"),
    "natural_breaks": ("jenks", "自然断点"),
    "equal_interval": ("EqualInterval", "等间距"),
}
"""Scheme key → (mapclassify class name, Chinese label); ``"jenks"`` means :func:`jenks_breaks`."""

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
    (mapclassify would warn and repeat breaks).  Natural breaks are the exact
    optimum over every finite value (:func:`jenks_breaks`), never a sample,
    so a map of any size gets the breaks mapclassify's ``FisherJenks`` defines.

    Raises
    ------
    ValueError
        ``scheme`` is not a key of :data:`SCHEMES`.
    """
    if scheme not in SCHEMES:
        msg = f"分级方法应为 {sorted(SCHEMES)} 之一，而不是 {scheme!r}"
        raise ChoiceError(msg)
    values = np.asarray(values, dtype="float64")
    finite = np.isfinite(values)
    yb = np.full(len(values), -1, dtype=np.int64)
    if not finite.any():
        return Classes(scheme, (), np.nan, yb)
    data = values[finite]
    distinct = np.unique(data)
    if len(distinct) <= k:
        yb[finite] = np.searchsorted(distinct, data)
        exact_bins = tuple(float(v) for v in distinct)
        return Classes(scheme, exact_bins, float(distinct[0]), yb, exact=True)
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
    """Fisher-Jenks natural breaks: the upper bound of each of at most ``k`` classes.

    The exact optimum (least within-class sum of squares) over all the finite
    values, by ``ckmeans`` (see the module notes for why that library).  Fewer
    distinct values than ``k`` give one class per distinct value; non-finite
    values are left out, as :func:`classify` does.

    Raises
    ------
    ValueError
        ``k`` is above 255, ckmeans' limit (the app offers 3 to 7 classes).

    Examples
    --------
    >>> jenks_breaks(np.array([1, 2, 3, 10, 11, 12, 50, 51]), 3).tolist()
    [3.0, 12.0, 51.0]
    """
    x = np.asarray(values, dtype="float64").ravel()
    x = x[np.isfinite(x)]
    if not len(x):
        return np.empty(0)
    clusters = ckmeans.ckmeans(x, max(1, min(int(k), len(x))))
    return np.array([cluster[-1] for cluster in clusters], dtype="float64")


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
