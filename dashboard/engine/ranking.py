"""The one ranking rule: where an area stands among the areas of its level.

* Competition ranking ("1224"): areas with equal values share the best place,
  and the next place skips as many as shared it.
* Areas without a value (null, e.g. a ratio whose denominator is missing) get
  no rank and do not count: "第 3 / 14 名" means third of the 14 areas that
  have the figure.
* The order shown is by rank, then by name; areas without a value come last.

Every page, the big screen, the atlas and the CLI take ranks from here
(through :meth:`dashboard.engine.Engine.ranking`), never from pandas' or
numpy's own ranking with their different tie and null rules.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Ranks:
    """Ranks of a set of values.

    Attributes
    ----------
    rank
        Place of each value (1 is the top), ``pd.NA`` for a value that is missing.
    of
        How many values were ranked (those that are not missing).
    order
        Positions of the values in display order: by rank, then by name, missing values last.
    """

    rank: pd.Series
    of: int
    order: np.ndarray


def rank_values(values: np.ndarray | pd.Series, names: np.ndarray | pd.Series | None = None, *,
                ascending: bool = False) -> Ranks:
    """Rank ``values`` (largest first unless ``ascending``) by the module's rule.

    Parameters
    ----------
    values
        One number per area; NaN/None for an area without the figure.
    names
        Area names, to order ties; default the positions.
    ascending
        Rank the smallest first (e.g. to show where service coverage is weakest).

    Returns
    -------
    Ranks

    Examples
    --------
    >>> r = rank_values(np.array([5.0, 9.0, np.nan, 9.0, 1.0]), np.array(list("abcde")))
    >>> r.rank.tolist(), r.of, r.order.tolist()
    ([3, 1, <NA>, 1, 4], 4, [1, 3, 0, 4, 2])
    """
    v = pd.to_numeric(pd.Series(np.asarray(values, dtype=object)), errors="coerce").to_numpy(dtype="float64")
    finite = np.isfinite(v)
    key = v if ascending else -v
    rank = np.full(len(v), -1, dtype=np.int64)
    if finite.any():
        sorted_keys = np.sort(key[finite])
        rank[finite] = np.searchsorted(sorted_keys, key[finite], side="left") + 1
    ranks = pd.Series(rank, dtype="Int64").where(finite, pd.NA)
    label = np.asarray(names if names is not None else np.arange(len(v)), dtype=object).astype(str)
    fill = np.where(finite, rank, np.iinfo(np.int64).max)
    order = np.lexsort((np.arange(len(v)), label, fill))
    return Ranks(rank=ranks, of=int(finite.sum()), order=order)


def share_of_top(values: np.ndarray | pd.Series) -> np.ndarray:
    """Each value as a share of the largest (bar lengths in rankings); 0 when missing or not positive.

    Examples
    --------
    >>> share_of_top(np.array([2.0, 8.0, np.nan, -1.0])).tolist()
    [0.25, 1.0, 0.0, 0.0]
    """
    v = pd.to_numeric(pd.Series(np.asarray(values, dtype=object)), errors="coerce").to_numpy(dtype="float64")
    ok = np.isfinite(v) & (v > 0)
    top = float(v[ok].max()) if ok.any() else 0.0
    return np.where(ok, v / top, 0.0) if top > 0 else np.zeros(len(v))


def ranked_table(table: pd.DataFrame, metric: str, *, ascending: bool = False) -> pd.DataFrame:
    """``table``'s rows (a copy) in rank order of ``metric``, with ``rank``, ``of``, ``share`` and ``pos``.

    ``rank`` and ``of`` come first, ``share`` is the value ÷ the largest (for
    bars) and ``pos`` the row's position in ``table`` — the columns of every
    ranking the product shows (areas of a district, districts of a city).
    """
    out = pd.DataFrame(table).reset_index(drop=True)
    ranks = rank_values(out[metric], out["name"], ascending=ascending)
    out.insert(0, "rank", ranks.rank.to_numpy())
    out.insert(1, "of", ranks.of)
    out["share"] = share_of_top(out[metric])
    out["pos"] = np.arange(len(out))
    return out.iloc[ranks.order].reset_index(drop=True)
