"""The map of what changed between two versions: areas coloured by the change of a metric, on a diverging ramp.

Decreases are red and increases blue, in three equal steps each side of
zero up to the largest change; "no change" is its own light class, so a
quarter in which nothing moved reads as such rather than as a middle shade.
"""

from __future__ import annotations

import folium
import numpy as np
import pandas as pd

from dashboard.engine import Engine
from dashboard.engine.catalog import change_text, metric_title, text_of, value_text
from dashboard.maps.layers import AreaLayer, Legend
from dashboard.maps.shapes import bounds_of
from dashboard.maps.views import fit, level_codes, level_shapes, new_map
from dashboard.theme import DIVERGING, LAYER_COLORS, LIGHT, NO_DATA

STEPS = 3
"""Classes on each side of zero."""


def change_classes(changes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Class (0..6; -1 for no data) of each change, and the step edges (the largest |change| split in :data:`STEPS`).

    >>> change_classes(np.array([-6.0, -1.0, 0.0, 2.0, 6.0, np.nan]))[0].tolist()
    [0, 2, 3, 4, 6, -1]
    """
    values = np.asarray(changes, dtype="float64")
    top = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 0.0
    edges = np.linspace(0.0, top, STEPS + 1)[1:] if top > 0 else np.ones(STEPS)
    out = np.full(len(values), -1, dtype=np.int64)
    known = np.isfinite(values)
    step = np.minimum(np.searchsorted(edges, np.abs(values[known]), side="left"), STEPS - 1)
    sign = np.sign(values[known]).astype(np.int64)
    out[known] = np.where(sign == 0, STEPS, STEPS + sign * (step + 1))
    return out, edges


def change_legend(metric: str, edges: np.ndarray, has_null: bool) -> Legend:
    """The legend: three steps of decrease, no change, three of increase (labels in the metric's unit)."""
    fmt = change_text
    lows = [0.0, *edges[:-1].tolist()]
    if not metric.endswith("_rate") and edges[0] >= 1:  # counts: the first step starts at one, not at "no change"
        lows[0] = 1.0
    entries = []
    for i in range(STEPS - 1, -1, -1):
        entries.append((DIVERGING[STEPS - 1 - i], f"{fmt(metric, -edges[i])} ～ {fmt(metric, -lows[i])}"))
    entries.append((DIVERGING[STEPS], "无变化"))
    for i in range(STEPS):
        entries.append((DIVERGING[STEPS + 1 + i], f"{fmt(metric, lows[i])} ～ {fmt(metric, edges[i])}"))
    if has_null:
        entries.append((NO_DATA, "无数据（只在一个版本中）"))
    return Legend(f"{metric_title(metric)} 变化", entries, note="红色减少，蓝色增加")


def change_map(src: Engine, level: str, metric: str, areas: pd.DataFrame, *, demo: bool = False) -> folium.Map:
    """Areas of ``level`` in ``src`` (the later version) coloured by ``areas``' ``<metric>_change``, matched by id."""
    fmap, shift = new_map(demo=demo)
    table = src.choropleth(level)
    by_id = areas.set_index(areas["id"].astype(str))
    changes = by_id[f"{metric}_change"].reindex(table["id"].astype(str)).to_numpy(dtype="float64", na_value=np.nan)
    before = by_id[f"{metric}_from"].reindex(table["id"].astype(str)).tolist()
    after = by_id[f"{metric}_to"].reindex(table["id"].astype(str)).tolist()
    classes, edges = change_classes(changes)
    fmt = change_text
    props = [{"id": str(i), "c": DIVERGING[c] if c >= 0 else NO_DATA,
              "t": [text_of(name), value_text(metric, b), value_text(metric, a), str(fmt(metric, d))]}
             for i, name, b, a, d, c in zip(table["id"], table["name"], before, after, changes, classes, strict=True)]
    codes, decimals = level_codes(src, level, shift)
    AreaLayer(codes, props, decimals=decimals, kind=level,
              style={"color": "#ffffff", "weight": 1.2 if level != "grid" else 0.5, "fillOpacity": 0.8,
                     "fillColor": NO_DATA},
              hover={"weight": 3, "color": LIGHT["accent"]}, labels=["名称", "之前", "之后", "变化"],
              name=f"change-{level}", selected_style={"weight": 4, "color": LAYER_COLORS["highlight"]},
              ).add_to(fmap)
    change_legend(metric, edges, bool((classes < 0).any())).add_to(fmap)
    fit(fmap, bounds_of(level_shapes(src, "town", shift)))
    return fmap
