"""The 网格走访 frame of the big screen: how the grid's visits cover the district, as aggregate figures only.

Every figure is the engine's (:mod:`dashboard.engine.visits`): the district's
and each town's :func:`~dashboard.engine.visits.area_visit_table`, and
:func:`~dashboard.engine.visits.visits_by_month`.  Labels, units and number
formats come from :data:`dashboard.engine.metrics.METRICS` and
:mod:`dashboard.engine.catalog`; class breaks, colours and ranks from the same
helpers as the town view (:func:`~dashboard.bigscreen.payload.choropleth_legend`,
:mod:`dashboard.engine.ranking`).  A wall screen is seen by a whole room: no
firm and no commissioner is named here, only the district, its towns and counts.

A store without a visit has no such frame, and a data folder has no visits
(:func:`visit_view` is called by :mod:`dashboard.bigscreen.data` for stores only).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from dashboard.bigscreen.payload import MAX_RANKING_ROWS, choropleth_legend, town_label_styles
from dashboard.classify import DEFAULT_SCHEME, SCHEMES
from dashboard.engine import Engine
from dashboard.engine.catalog import MISSING_TEXT, as_float, cell_text, format_number, metric_title, text_of, value_text
from dashboard.engine.metrics import METRICS
from dashboard.engine.ranking import rank_values, share_of_top
from dashboard.engine.visits import area_visit_table, firm_visits, months_before, visits_by_month

VISIT_FIGURES: tuple[str, ...] = ("visited_rate_90d", "cultivation_visited_rate_90d", "overdue_followups",
                                  "first_ip_after_visit_rate")
"""The district's big figures, in screen order (the 走访 page's four KPIs)."""

VISIT_METRIC = "visited_rate_90d"
"""Town figure of the frame's map colours and ranking."""

VISIT_MONTHS = 12
"""Calendar months of the visits-per-month bars, up to the month of the day of the figures."""


def _tone(key: str, value: float) -> str:
    """``info`` for a rate; an overdue count is ``bad`` when there is one, else ``good``."""
    if METRICS[key].unit == "%":
        return "info"
    return "bad" if value > 0 else "good"


def visit_figures(district: pd.Series) -> list[dict[str, Any]]:
    """The big figures of :data:`VISIT_FIGURES` from the district's row of :func:`area_visit_table`."""
    out = []
    for key in VISIT_FIGURES:
        number = as_float(district[key])
        metric = METRICS[key]
        shown: float | int | None = number if np.isfinite(number) else None
        if shown is not None and metric.kind == "count":
            shown = int(number)
        out.append({"key": key, "label": metric.label, "value": cell_text(key, shown) or MISSING_TEXT,
                    "unit": "" if metric.unit == "%" or shown is None else metric.unit, "number": shown,
                    "tone": _tone(key, number) if shown is not None else "none"})
    return out


def visit_towns(engine: Engine, towns: pd.DataFrame) -> dict[str, Any]:
    """The towns coloured and ranked by :data:`VISIT_METRIC` (``towns``: :func:`area_visit_table` of the towns).

    ``fills`` has one entry per feature of the town view (the rows of
    ``engine.choropleth("town")``): the fill and the name's style over it.
    """
    ids = engine.choropleth("town")["id"].astype(str).tolist()
    by_id = towns.set_index(towns["id"].astype(str))
    values = pd.to_numeric(by_id[VISIT_METRIC].reindex(ids), errors="coerce").to_numpy(dtype="float64",
                                                                                      na_value=np.nan)
    fills, legend = choropleth_legend(values, VISIT_METRIC)
    names = [text_of(n) for n in by_id["name"].reindex(ids)]
    ranks = rank_values(values, np.asarray(names, dtype=object))
    share = share_of_top(values)
    ranking = []
    for pos in ranks.order[:MAX_RANKING_ROWS]:
        rank = ranks.rank.iloc[pos]
        ranking.append({"name": names[pos], "value": value_text(VISIT_METRIC, values[pos]),
                        "rate": float(values[pos]) if np.isfinite(values[pos]) else None,
                        "share": round(float(share[pos]), 4), "feature": int(pos),
                        "rank_label": MISSING_TEXT if pd.isna(rank) else str(int(rank))})
    title = metric_title(VISIT_METRIC)
    if len(ids) > MAX_RANKING_ROWS:
        title = f"{title}（前 {MAX_RANKING_ROWS} 名，共 {len(ids)} 个镇街）"
    return {"legend_title": metric_title(VISIT_METRIC), "scheme": f"分级：{SCHEMES[DEFAULT_SCHEME][1]}",
            "legend": legend, "fills": [{"fill": f, "label": town_label_styles(f)["all"]} for f in fills],
            "ranking_title": title, "ranking": ranking}


def month_bars(visits: pd.DataFrame, today: dt.date, months: int = VISIT_MONTHS) -> list[dict[str, Any]]:
    """Visits in each of the last ``months`` calendar months up to ``today``'s, oldest first (0 for none).

    ``share`` is the month's count ÷ the largest (the bar's height).
    """
    counts = visits_by_month(visits, today).set_index("month")["visits"]
    first = today.replace(day=1)
    keys = [months_before(first, back).strftime("%Y-%m") for back in range(months - 1, -1, -1)]
    values = [int(counts.get(key, 0)) for key in keys]
    top = max(values, default=0)
    return [{"month": key, "label": f"{int(key[5:])}月", "count": n, "value": format_number(n),
             "share": round(n / top, 4) if top else 0.0} for key, n in zip(keys, values, strict=True)]


def visit_view(engine: Engine, visits: pd.DataFrame, today: dt.date,
               history: Sequence[tuple[str, Engine]] = ()) -> dict[str, Any] | None:
    """The 网格走访 frame: the district's visit figures, the towns by 近 90 天走访率, the visits per month.

    Parameters
    ----------
    engine
        The version shown.
    visits
        The store's visit log (:meth:`dashboard.store.visits.Visits.current`).
    today
        The day of the figures (:func:`dashboard.access.settings.visit_today`).
    history
        (as-of date, engine) of every version in force up to the one shown, oldest first
        (for 走访后培育成功率).

    Returns
    -------
    dict or None
        ``None`` when the log has no visit.  Else ``title``, ``heading``,
        ``day``, ``period`` (统计日 …), ``figures`` (:func:`visit_figures`),
        the town map and ranking (:func:`visit_towns`: ``legend_title``,
        ``scheme``, ``legend``, ``fills``, ``ranking_title``, ``ranking``),
        ``months_title``, ``months`` (:func:`month_bars`) and ``months_note``.
        Names are the district's towns only.
    """
    if not len(visits):
        return None
    seen = firm_visits(engine, visits, today, history)
    district = area_visit_table(engine, seen, "district").iloc[0]
    months = month_bars(visits, today)
    day = today.isoformat()
    return {
        "title": f"网格走访（统计日 {day}）", "heading": "网格走访", "day": day, "period": f"统计日 {day}",
        "figures": visit_figures(district), **visit_towns(engine, area_visit_table(engine, seen, "town")),
        "months_title": f"每月走访次数（{months[0]['month']} 至 {months[-1]['month']}）", "months": months,
        "months_note": "本月截至统计日",
    }
