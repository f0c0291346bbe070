"""Figures of a city or province: the districts' rows of one level combined, by the registry's own rules.

A region's sums are the sums of its districts' sums (every additive metric
of :data:`~dashboard.engine.metrics.SUM_KEYS`, the areas, the GI counts and
the tier/industry breakdowns), and its ratios are derived from those sums by
:func:`~dashboard.engine.metrics.derive_ratios` — never an average of the
districts' ratios.  A population is known only when every district's is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.engine import metrics as m
from dashboard.engine.catalog import MAPPABLE_METRICS
from dashboard.engine.ranking import ranked_table
from loaders.errors import EngineInputError

ADDITIVE: tuple[str, ...] = (*m.SUM_KEYS, "area_km2", "gi_count")
"""Columns of a district row that add up to the region's."""


def region_total(rows: pd.DataFrame, name: str, level: str = "region") -> pd.DataFrame:
    """One row: the districts' rows (``stats("district")`` of each, one per row) combined into ``name``.

    Examples
    --------
    >>> rows = pd.DataFrame({"enterprises": [10, 30], "enterprises_with_ip": [5, 6], "population": [1000.0, None]})
    >>> total = region_total(rows, "某市")
    >>> int(total.loc[0, "enterprises"]), float(total.loc[0, "ip_coverage_rate"]), bool(total["population"].isna()[0])
    (40, 0.275, True)
    """
    out: dict[str, object] = {"level": level, "id": level, "name": name}
    breakdowns = [c for c in rows.columns if c.startswith(("tier:", "industry:"))]
    for key in (*ADDITIVE, *breakdowns):
        if key in rows:
            values = pd.to_numeric(rows[key], errors="coerce").astype("float64")
            # a sum of unknowns stays unknown (no service points anywhere: coverage is null, not 0)
            out[key] = float(values.sum()) if values.notna().any() else np.nan
    if "population" in rows:
        pops = pd.to_numeric(rows["population"], errors="coerce").astype("float64")
        out["population"] = float(pops.sum()) if len(pops) and pops.notna().all() else np.nan
    if "gi_names" in rows:
        names = [n for text in rows["gi_names"].fillna("") for n in str(text).split("、") if n]
        out["gi_names"] = "、".join(dict.fromkeys(names))
    table = m.tidy_types(m.derive_ratios(pd.DataFrame([out])))
    ordered = ["level", "id", "name", *[c for c in m.STATS_COLUMNS if c in table], *breakdowns]
    return table[[c for c in ordered if c in table]]


def region_ranking(rows: pd.DataFrame, metric: str, *, ascending: bool = False) -> pd.DataFrame:
    """The districts' rows ranked by ``metric``, the engine's one rule (:func:`~dashboard.engine.ranking.rank_values`).

    The columns of :meth:`dashboard.engine.Engine.ranking`: ``rank``, ``of``,
    then the rows' columns in display order, ``share`` (of the largest) and
    ``pos`` (the row's position in ``rows``).

    Raises
    ------
    loaders.errors.EngineInputError
        ``metric`` is not a mappable metric.

    Examples
    --------
    >>> rows = pd.DataFrame({"name": ["甲区", "乙区", "丙区"], "enterprises": [10, 30, 20]})
    >>> region_ranking(rows, "enterprises")[["rank", "name"]].to_numpy().tolist()
    [[1, '乙区'], [2, '丙区'], [3, '甲区']]
    """
    if metric not in MAPPABLE_METRICS:
        msg = f"不能按指标 {metric!r} 排名；可用的指标：{', '.join(MAPPABLE_METRICS)}"
        raise EngineInputError(msg)
    return ranked_table(rows, metric, ascending=ascending)
