"""The 走访 layer: firms coloured by their last visit, follow-ups due or overdue ringed in red.

Colours come from :data:`dashboard.theme.VISIT_COLORS`, labels from
:data:`dashboard.engine.visits.STATUS_LABELS`; the firms and their visit
status are given by the caller (already scoped: a commissioner's own firms).
"""

from __future__ import annotations

import folium
import numpy as np
import pandas as pd

from dashboard.engine.visits import STATUS_LABELS
from dashboard.maps.layers import Legend, PointLayer
from dashboard.maps.shapes import NO_SHIFT, POINT_DECIMALS, Shift
from dashboard.maps.views import FIRM_TIP_FIELDS, FIRM_TIP_LABELS, MapSource, firm_tip_rows, firm_tips
from dashboard.theme import VISIT_COLORS

STATUSES = ("this_quarter", "earlier", "never")


def add_visit_layer(fmap: folium.Map, firms: pd.DataFrame, visits: pd.DataFrame, *, shift: Shift = NO_SHIFT,
                    src: MapSource | None = None) -> PointLayer | None:
    """Firms (rows of the firm table) coloured by ``visits``' ``visit_status``; due follow-ups ringed first.

    ``visits`` is :attr:`dashboard.engine.visits.FirmVisits.table` (same index as the firm table).
    """
    lon_all = pd.to_numeric(firms["lon"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    lat_all = pd.to_numeric(firms["lat"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    firms = firms[np.isfinite(lon_all) & np.isfinite(lat_all)]
    if not len(firms):
        return None
    seen = visits.loc[firms.index]
    lon, lat = shift.lonlat(firms["lon"], firms["lat"])
    lat, lon = np.round(lat, POINT_DECIMALS), np.round(lon, POINT_DECIMALS)
    due = seen["follow_up_status"].isin(["overdue", "due"]).to_numpy()
    if due.any():
        PointLayer(lat[due], lon[due], palette=[VISIT_COLORS["follow_up"]], radius=9.0, kind="follow_up",
                   ids=[int(i) for i in firms.index[due]], stroke=VISIT_COLORS["follow_up"],
                   name="follow-ups").add_to(fmap)
    status = seen["visit_status"].to_numpy()
    colors = np.array([STATUSES.index(s) for s in status])
    tips = firm_tips(src).loc[firms.index].tolist() if src is not None else firm_tip_rows(firms)
    last = [f"{d}（{k}）" if d else "从未走访" for d, k in zip(seen["last_visit"], seen["last_kind"], strict=True)]
    follow = [f or "—" for f in seen["follow_up"]]
    rows = [[*tip, when, back] for tip, when, back in zip(tips, last, follow, strict=True)]
    layer = PointLayer(lat, lon, palette=[VISIT_COLORS[s] for s in STATUSES], colors=colors, radius=5.5,
                       labels=["企业", *(FIRM_TIP_LABELS[f] for f in FIRM_TIP_FIELDS), "上次走访", "回访日期"],
                       values=rows, kind="firm", ids=[int(i) for i in firms.index], name="visits")
    layer.add_to(fmap)
    return layer


def visit_legend(*, position: str = "bottomleft") -> Legend:
    """Legend of :func:`add_visit_layer`."""
    entries = [(VISIT_COLORS[s], STATUS_LABELS[s], "circle") for s in STATUSES]
    entries.append((VISIT_COLORS["follow_up"], "回访到期或逾期（红圈）", "circle"))
    return Legend("走访", entries, position=position)
