"""Benchmark: exact natural breaks (``dashboard.classify``) vs the former sampled path and mapclassify.

On seeded lognormal values (1,000 / 5,000 / 20,000 by default; the app's grid
has more than 1,000 cells), for k = 5 and 9, times the breaks of:

* exact: :func:`dashboard.classify.jenks_breaks` (``ckmeans``, the exact
  optimum on every value), and ``classify(values, "natural_breaks", k)`` end
  to end, against the goal of 0.5 s at 20,000 values;
* old sampled: the former algorithm, kept here only for the comparison — an
  exact numpy Fisher-Jenks on 1,000 evenly spaced order statistics;
* mapclassify ``FisherJenks`` in pure Python (its kernel without numba), where
  feasible (up to ``--pure-max`` values; it is O(k n²) Python loops);
* for the record, when installed: mapclassify ``FisherJenks`` compiled by
  numba and ``jenkspy`` (both the same O(k n²) fish.f recursion).

Also reports each path's within-class sum of squares above the exact optimum
(the old path's excess is why it was removed) and whether its breaks equal
the exact ones.  Prints a table and, as the last line, JSON with the medians.
Run: ``python bench/classify.py [--repeat K] [--sizes 1000,5000,20000] [--pure-max N]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

import mapclassify
import numpy as np
from mapclassify.classifiers import HAS_NUMBA, _fisher_jenks_means

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import timed  # noqa: E402

from dashboard.classify import classify, jenks_breaks  # noqa: E402

GOAL_S = 0.5  # classify() on 20,000 values, k up to 9
OLD_JENKS_SAMPLE = 1000


def old_sampled_breaks(values: np.ndarray, k: int) -> np.ndarray:
    """The former ``jenks_breaks``: exact Fisher-Jenks, but on 1,000 evenly spaced order statistics above that.

    Copied unchanged (but for names) from ``dashboard/classify.py`` before the
    exact path replaced it, so its speed and error can still be compared.
    """
    x = np.sort(np.asarray(values, dtype="float64"))
    if len(x) > OLD_JENKS_SAMPLE:
        x = x[np.linspace(0, len(x) - 1, OLD_JENKS_SAMPLE).round().astype(int)]
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


def mapclassify_pure(values: np.ndarray, k: int) -> np.ndarray:
    """The FisherJenks kernel of mapclassify as plain Python, whether or not numba is installed."""
    kernel = getattr(_fisher_jenks_means, "py_func", _fisher_jenks_means)
    return np.asarray(kernel(np.sort(values).astype("f8"), classes=k))


def mapclassify_numba(values: np.ndarray, k: int) -> np.ndarray:
    """``mapclassify.FisherJenks(values, k).bins`` (numba-compiled when numba is installed)."""
    return np.asarray(mapclassify.FisherJenks(values, k=k).bins)


def jenkspy_breaks(values: np.ndarray, k: int) -> np.ndarray:
    """Upper bounds from ``jenkspy.jenks_breaks`` (which also returns the minimum first)."""
    import jenkspy

    return np.asarray(jenkspy.jenks_breaks(values, k)[1:])


def within_class_error(values: np.ndarray, bins: np.ndarray) -> float:
    """Sum of squared deviations from the class means, classes as ``classify`` assigns them."""
    yb = np.searchsorted(np.unique(bins), values, side="left")
    return float(sum(((g - g.mean()) ** 2).sum() for g in (values[yb == c] for c in np.unique(yb))))


def have_jenkspy() -> bool:
    try:
        import jenkspy  # noqa: F401
    except ImportError:
        return False
    return True


def run(n: int, k: int, repeat: int, pure_max: int, seed: int) -> dict[str, object]:
    """Medians, error excess and agreement of every path on ``n`` seeded lognormal values."""
    values = np.random.default_rng(seed).lognormal(3, 1, n)
    paths: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {"exact": jenks_breaks,
                                                                 "old_sampled": old_sampled_breaks}
    if n <= pure_max:
        paths["mapclassify_pure"] = mapclassify_pure
    if HAS_NUMBA:
        paths["mapclassify_numba"] = mapclassify_numba
    if have_jenkspy():
        paths["jenkspy"] = jenkspy_breaks
    exact_bins = jenks_breaks(values, k)
    optimum = within_class_error(values, exact_bins)
    row: dict[str, object] = {"n": n, "k": k}
    for name, fn in paths.items():
        runs = 1 if name == "mapclassify_pure" else (max(1, repeat // 2) if n > 5000 and name in
                                                     ("mapclassify_numba", "jenkspy") else repeat)
        bins = fn(values, k)
        row[f"{name}_s"] = round(statistics.median(timed(lambda fn=fn: fn(values, k), runs)), 5)
        row[f"{name}_excess_pct"] = round(100 * (within_class_error(values, bins) / optimum - 1), 6)
        row[f"{name}_equal"] = bool(np.array_equal(np.unique(bins), exact_bins))
    row["classify_s"] = round(statistics.median(timed(lambda: classify(values, "natural_breaks", k), repeat)), 5)
    return row


def main() -> None:
    """Run the benchmark and print the table and the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default="1000,5000,20000")
    parser.add_argument("--pure-max", type=int, default=5000, help="largest n for mapclassify's pure-Python kernel")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    if HAS_NUMBA:
        mapclassify_numba(np.arange(10.0), 3)  # compile once, outside the timings
    rows = [run(int(n), k, args.repeat, args.pure_max, args.seed)
            for n in args.sizes.split(",") for k in (5, 9)]
    names = [p for p in ("exact", "old_sampled", "mapclassify_pure", "mapclassify_numba", "jenkspy")
             if any(f"{p}_s" in r for r in rows)]
    print(f"lognormal(3, 1) values, seed {args.seed}; median seconds of the breaks; "
          "(+x %) = within-class error above the exact optimum, = same breaks as exact")
    print(f"{'n':>7} {'k':>2} {'classify':>9} " + " ".join(f"{p:>26}" for p in names))
    for r in rows:
        cells = []
        for p in names:
            if f"{p}_s" not in r:
                cells.append(f"{'-':>26}")
                continue
            mark = "=" if r[f"{p}_equal"] else f"+{r[f'{p}_excess_pct']:.4g} %"
            cells.append(f"{r[f'{p}_s']:>12.4f} s ({mark:>10})")
        print(f"{r['n']:>7,} {r['k']:>2} {r['classify_s']:>8.4f}s " + " ".join(cells))
    worst = max(r["classify_s"] for r in rows if r["n"] == max(int(n) for n in args.sizes.split(",")))
    print(f"goal: classify() under {GOAL_S} s at the largest size, k up to 9 — {worst:.4f} s, "
          f"{'met' if worst < GOAL_S else 'missed'}")
    old = [r["old_sampled_excess_pct"] for r in rows if r["n"] > OLD_JENKS_SAMPLE]
    print(json.dumps({"goal_s": GOAL_S, "classify_worst_s": worst,
                      "old_sampled_excess_pct_max": max(old) if old else 0.0, "rows": rows}))


if __name__ == "__main__":
    main()
