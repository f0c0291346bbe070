"""What the big screen draws, as one JSON document built once per loaded data folder or store version.

Every figure comes from the engine and every label, unit and number format
from :data:`dashboard.engine.metrics.METRICS` (area figures) or the
indicators layer (the 2025 targets); class breaks and colours come from
:mod:`dashboard.classify` and :mod:`dashboard.theme`, so the wall screen
matches the app.  The browser only places what is here: it formats nothing.

Text travels as JSON data and is set with ``textContent`` in the browser,
never parsed as HTML; :func:`to_script_json` makes the JSON safe inside a
``<script type="application/json">`` element.
"""

from __future__ import annotations

import json
import math
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from dashboard.classify import DEFAULT_K, DEFAULT_SCHEME, SCHEMES, classify, legend_labels
from dashboard.engine import Engine
from dashboard.engine.catalog import (
    MISSING_TEXT,
    as_float,
    change_text,
    format_number,
    json_ready,
    metric_title,
    text_of,
    value_text,
)
from dashboard.engine.changes import FIRM_LISTS, VersionDiff, diff_engines
from dashboard.engine.metrics import METRICS
from dashboard.engine.targets import STATUS_TONES, TargetStatus
from dashboard.maps.shapes import simplify_areas
from dashboard.theme import (
    DARK,
    DEMO_BADGE,
    LAYER_COLORS,
    LIGHT_INK,
    NO_DATA,
    blend,
    label_ink,
    ramp,
    service_color,
)
from loaders.errors import ChoiceError

TARGET_CARDS: dict[str, str] = {
    "patent_intensive_share": "专利密集型产业增加值占比",
    "copyright_industry_share": "版权产业增加值占比",
    "pledge_financing_yi": "质押融资金额",
    "high_value_per_10k_pop": "每万人口高价值发明专利拥有量",
}
"""Indicator key → short card title, in card order (the outline's four 2025 targets)."""

SIMPLIFY_M = 10.0
"""Outline tolerance in metres: below a pixel of a town filling a 4K map."""

TOWN_DETAIL: tuple[str, ...] = ("enterprises", "enterprises_with_ip", "invention_patents", "high_value_inventions",
                                "ip_coverage_rate", "service_coverage_rate")
"""Figures of the town box during the town tour (the ranking metric comes first)."""

PARK_DETAIL: tuple[str, ...] = ("ip_coverage_rate",)
"""Second line of each park row."""

SERVICE_ROWS = 8
"""Towns listed in the service view: the least covered first (where the network has gaps)."""

MAX_RANKING_ROWS = 20
"""Rows a ranking shows at once; a longer list scrolls its window with the tour."""

NOTES = {"demo": "边界与企业为合成数据"}

MAP_BACKGROUND = "#0f172a"
"""Colour under the map's translucent fills (``.map-wrap`` in kiosk.css)."""

TOWN_OPACITY: dict[str, float] = {"all": 0.85, "dim": 0.3, "focus": 0.95}
"""Fill opacity of the towns in the town views: every town, the others during one town's turn, that town."""

BASE_FILL, BASE_OPACITY = "#1e293b", 0.9
"""Fill of the towns under the park, GI and service views."""

AREA_OPACITY = 0.3
"""Fill opacity of the parks and GI areas."""

LABEL_TINTS = {"parks": "#fed7aa", "gi": "#fecaca", "changes": "#fef08a"}
"""Light ink of park, GI and 本季度变化 town names (on dark backgrounds; a light one gets dark ink)."""

CHANGE_FIGURES: dict[str, tuple[str, str]] = {
    key: (FIRM_LISTS[key][0], tone) for key, tone in (("added", "good"), ("first_ip", "good"), ("removed", "bad"),
                                                     ("moved", "none"))
}
"""Firm list of a :class:`~dashboard.engine.changes.VersionDiff` → (big-number label, tone), in screen order."""

CHANGE_COUNTS: tuple[str, ...] = ("added", "removed", "first_ip", "lost_ip", "moved")
"""Firm lists counted in the 本季度变化 frame (counts only: a wall screen names no firm)."""

CHANGE_METRIC = "enterprises_with_ip"
"""Town figure whose change ranks the towns of the 本季度变化 frame."""

CHANGE_TOWNS = 8
"""Towns listed in the 本季度变化 frame: the largest increases of :data:`CHANGE_METRIC`."""


def label_style(seen: str, light: str = LIGHT_INK) -> dict[str, str]:
    """CSS colour and text-shadow halo of a map name over the colour ``seen`` (:func:`dashboard.theme.label_ink`).

    Examples
    --------
    >>> label_style("#0f172a")["color"], label_style("#f1eef6")["color"]
    ('#ffffff', '#111827')
    """
    ink = label_ink(seen, light=light)
    halo = ink.halo
    return {"color": ink.text, "shadow": f"0 0 0.25rem {halo}, 0 0 0.25rem {halo}, 0 0 0.5rem {halo}"}


def town_label_styles(fill: str) -> dict[str, dict[str, str]]:
    """A town name's style in each state of the town views (keys of :data:`TOWN_OPACITY`).

    The name in focus is the highlight yellow where that reads, dark ink on a light fill.
    """
    seen = {state: blend(fill, MAP_BACKGROUND, opacity) for state, opacity in TOWN_OPACITY.items()}
    return {"all": label_style(seen["all"]), "dim": label_style(seen["dim"]),
            "focus": label_style(seen["focus"], light=LAYER_COLORS["highlight"])}


def area_label_style(color: str, layer: str) -> dict[str, str]:
    """Style of a park or GI name: over its translucent fill over the base town fill."""
    base = blend(BASE_FILL, MAP_BACKGROUND, BASE_OPACITY)
    return label_style(blend(color, base, AREA_OPACITY), light=LABEL_TINTS[layer])


# --------------------------------------------------------------------------- helpers


def light_geometries(frame: gpd.GeoDataFrame, metric_crs: str, tolerance_m: float = SIMPLIFY_M
                     ) -> list[dict[str, Any] | None]:
    """GeoJSON geometries of ``frame`` (EPSG:4326), simplified in metres and rounded, same order.

    The simplification is the app's (:func:`dashboard.maps.shapes.simplify_areas`:
    shared edges stay shared); this only turns the result into GeoJSON dicts.
    """
    series = simplify_areas(frame, metric_crs, tolerance_m)
    return [None if g is None or shapely.is_empty(g) else json.loads(shapely.to_geojson(g)) for g in series]


def _bounds(geom: shapely.Geometry | None) -> list[list[float]] | None:
    """Leaflet bounds ``[[south, west], [north, east]]`` of a geometry in EPSG:4326."""
    if geom is None or shapely.is_empty(geom):
        return None
    west, south, east, north = shapely.bounds(geom)
    return [[round(float(south), 5), round(float(west), 5)], [round(float(north), 5), round(float(east), 5)]]


def _label_point(geom: shapely.Geometry | None) -> list[float] | None:
    """``[lat, lon]`` inside the polygon where its name goes."""
    if geom is None or shapely.is_empty(geom):
        return None
    point = shapely.point_on_surface(geom)
    return [round(float(point.y), 5), round(float(point.x), 5)]


# --------------------------------------------------------------------------- cards


def target_card(key: str, title: str, row: pd.Series | None) -> dict[str, Any]:
    """One 2025-target card: latest value, target, progress, trend arrow and status.

    Parameters
    ----------
    key
        Indicator key.
    title
        Card title.
    row
        The indicator's row of :meth:`Engine.targets`, or ``None`` when the
        indicators layer lacks it (the card then shows ``—``).
    """
    no_data = TargetStatus.NO_DATA
    card: dict[str, Any] = {"key": key, "title": title, "value": "—", "unit": "", "year": "",
                            "target": "目标 —", "progress": 0.0, "progress_text": "",
                            "arrow": "", "trend": "无指标数据", "status": no_data.value, "tone": STATUS_TONES[no_data]}
    if row is None:
        return card
    unit = str(row["unit"] or "")
    latest, target = as_float(row["latest"]), as_float(row["target"])
    progress, slope = as_float(row["progress"]), as_float(row["slope_per_year"])
    target_year = row["target_year"]
    latest_year = row["latest_year"]
    card["unit"] = unit
    card["value"] = format_number(latest, 1 if abs(latest) < 1000 else 0, trim=True)
    card["year"] = f"{int(latest_year)} 年" if pd.notna(latest_year) else ""
    year_text = f"{int(target_year)} 年" if pd.notna(target_year) else ""
    spaced = unit if unit in ("", "%") else f" {unit}"
    card["target"] = (f"{year_text}目标 {format_number(target, 2, trim=True)}{spaced}" if math.isfinite(target)
                      else "未设目标")
    if math.isfinite(progress):
        card["progress"] = round(progress, 4)
        card["progress_text"] = f"完成 {progress * 100:.0f}%"
    if math.isfinite(slope):
        card["arrow"] = "up" if slope > 0 else ("down" if slope < 0 else "flat")
        per = "个百分点" if unit == "%" else unit
        card["trend"] = f"年均 {'+' if slope > 0 else ''}{format_number(slope, 2, trim=True)} {per}".rstrip()
    else:
        card["trend"] = "年度数据不足，无趋势"
    status = TargetStatus(row["status"])  # the engine's one rule (dashboard.engine.targets)
    card["status"], card["tone"] = status.value, STATUS_TONES[status]
    return card


def target_cards(targets: pd.DataFrame) -> list[dict[str, Any]]:
    """The four cards of :data:`TARGET_CARDS` from :meth:`Engine.targets`, in that order."""
    rows = {str(r["key"]): r for _, r in targets.iterrows()} if len(targets) else {}
    return [target_card(key, title, rows.get(key)) for key, title in TARGET_CARDS.items()]


# --------------------------------------------------------------------------- areas


def choropleth_legend(values: np.ndarray, metric: str) -> tuple[list[str], list[dict[str, str]]]:
    """Fill colour of each value and the legend entries, with the app's classes and palette."""
    classes = classify(values, DEFAULT_SCHEME, DEFAULT_K)
    colors = ramp(classes.k)
    fills = [colors[c] if c >= 0 else NO_DATA for c in classes.yb]
    m = METRICS[metric]
    labels = legend_labels(classes, m.unit, percent=m.unit == "%", decimals=None if m.unit != "%" else m.decimals)
    legend = [{"color": c, "label": t} for c, t in zip(colors, labels, strict=True)]
    if (classes.yb < 0).any() or not legend:
        legend.append({"color": NO_DATA, "label": "无数据"})
    return fills, legend


def town_view(engine: Engine, metric: str) -> dict[str, Any]:
    """Towns coloured and ranked by ``metric``, each with its figures for the tour."""
    table = engine.choropleth("town")
    geoms = light_geometries(table, engine.metric_crs)
    raw = table.geometry.to_numpy()
    values = pd.to_numeric(table[metric], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    fills, legend = choropleth_legend(values, metric)
    ranking = engine.ranking("town", metric)
    order = ranking["pos"].to_numpy()
    rank = np.zeros(len(table), dtype=np.int64)  # 0: no rank (no value)
    rank[order] = ranking["rank"].fillna(0).to_numpy(dtype=np.int64)
    share = np.zeros(len(table))
    share[order] = ranking["share"].to_numpy()
    detail_keys = [metric, *[k for k in TOWN_DETAIL if k != metric]]
    features = []
    for i in range(len(table)):
        row = table.iloc[i]
        features.append({
            "id": str(row["id"]), "name": text_of(row["name"]), "geometry": geoms[i], "fill": fills[i],
            "value": value_text(metric, values[i]), "share": round(float(share[i]), 4),
            "rank": int(rank[i]) or None, "rank_label": str(int(rank[i])) if rank[i] else MISSING_TEXT,
            "place": f"第 {int(rank[i])} 名" if rank[i] else "无排名",
            "bounds": _bounds(raw[i]), "label_at": _label_point(raw[i]), "label": town_label_styles(fills[i]),
            "detail": [[METRICS[k].label, value_text(k, row[k])] for k in detail_keys],
        })
    return {"metric": metric, "title": "镇街排名", "legend_title": metric_title(metric),
            "scheme": f"分级：{SCHEMES[DEFAULT_SCHEME][1]}", "legend": legend, "features": features,
            "order": [int(i) for i in order], "bounds": _bounds(shapely.union_all(raw)),
            "opacity": TOWN_OPACITY, "base": {"fill": BASE_FILL, "opacity": BASE_OPACITY}}


def service_ranking(engine: Engine, metric: str) -> list[dict[str, Any]]:
    """Towns by ``metric`` (e.g. 服务覆盖率) from the lowest up, for the service-network view: gaps first."""
    ranking = engine.ranking("town", metric, ascending=True)
    top = engine.ranking("town", metric)  # bar lengths are shares of the largest value, as in every ranking
    share = dict(zip(top["pos"], top["share"], strict=True))
    return [{"name": text_of(row["name"]), "value": value_text(metric, row[metric]),
             "share": round(float(share[row["pos"]]), 4)}
            for _, row in ranking.head(SERVICE_ROWS).iterrows()]


def park_view(engine: Engine, metric: str) -> dict[str, Any] | None:
    """Parks outlined and ranked by ``metric``; ``None`` when the folder has no parks."""
    table = engine.choropleth("park")
    if len(table) == 0:
        return None
    geoms = light_geometries(table, engine.metric_crs)
    raw = table.geometry.to_numpy()
    features = [{"name": text_of(table["name"].iloc[i]), "geometry": geoms[i], "label_at": _label_point(raw[i])}
                for i in range(len(table))]
    ranking = []
    for _, row in engine.ranking("park", metric).iterrows():
        sub = " · ".join(f"{METRICS[k].label} {value_text(k, row[k])}" for k in PARK_DETAIL)
        ranking.append({"name": text_of(row["name"]), "value": value_text(metric, row[metric]),
                        "share": round(float(row["share"]), 4), "sub": sub,
                        "rank_label": MISSING_TEXT if pd.isna(row["rank"]) else str(int(row["rank"]))})
    return {"metric": metric, "title": "园区排名", "subtitle": metric_title(metric), "features": features,
            "ranking": ranking, "color": LAYER_COLORS["parks"], "opacity": AREA_OPACITY,
            "label": area_label_style(LAYER_COLORS["parks"], "parks"), "bounds": _bounds(shapely.union_all(raw))}


def gi_view(engine: Engine) -> dict[str, Any] | None:
    """Geographic-indication areas with name, category and towns; ``None`` when there are none."""
    gi = engine.layer("gi_areas")
    if gi is None:
        return None
    gi = gi[~(gi.geometry.isna() | gi.geometry.is_empty)]
    if len(gi) == 0:
        return None
    geoms = light_geometries(gi, engine.metric_crs)
    raw = gi.geometry.to_numpy()  # canonical layers are stored in lon/lat

    def text(row: pd.Series, column: str) -> str:
        return text_of(row.get(column))

    items = []
    for i in range(len(gi)):
        row = gi.iloc[i]
        towns = text(row, "towns_resolved") or text(row, "towns")
        year = text(row, "year")
        sub = " · ".join(part for part in (text(row, "category"), f"{year} 年" if year else "", towns) if part)
        items.append({"name": text(row, "name") or "—", "sub": sub, "geometry": geoms[i],
                      "label_at": _label_point(raw[i])})
    return {"title": "地理标志产区", "subtitle": f"{len(items)} 个 · 类别、登记年份与保护范围", "items": items,
            "color": LAYER_COLORS["gi_areas"], "opacity": AREA_OPACITY,
            "label": area_label_style(LAYER_COLORS["gi_areas"], "gi"),
            "bounds": _bounds(shapely.union_all(raw))}


def service_view(engine: Engine) -> dict[str, Any] | None:
    """Service points by type with their reach, the district coverage and the town ranking."""
    points = cast("gpd.GeoDataFrame | None", engine.layer("service_points"))  # a geometry layer
    if points is None:
        return None
    radii = engine.service_radii
    xy = shapely.get_coordinates(points.geometry.values)
    items = []
    for i in range(len(points)):
        if not np.isfinite(xy[i]).all():
            continue
        kind = str(points["type"].iloc[i]) if pd.notna(points["type"].iloc[i]) else ""
        items.append({"name": str(points["name"].iloc[i]), "type": kind, "color": service_color(kind),
                      "lat": round(float(xy[i][1]), 5), "lon": round(float(xy[i][0]), 5),
                      "radius_m": float(radii[i]) if np.isfinite(radii[i]) else 0.0})
    counts = pd.Series([p["type"] for p in items], dtype=object).value_counts(sort=True)
    types = [{"type": str(t) or "其他", "color": service_color(str(t)), "count": f"{int(n)} 个"}
             for t, n in counts.items()]
    district = engine.stats("district").iloc[0]
    coverage = METRICS["service_coverage_rate"]
    return {"title": "知识产权服务网络", "subtitle": f"{len(items)} 个服务站点", "points": items, "types": types,
            "coverage_label": coverage.label, "coverage": value_text("service_coverage_rate",
                                                                     district["service_coverage_rate"]),
            "covered": f"{METRICS['covered'].label} {value_text('covered', district['covered'])}",
            "ranking_title": f"{coverage.label}最低的镇街"}


# --------------------------------------------------------------------------- change since the version before


def _extra_town_ids(engine: Engine) -> set[str]:
    """Ids of the rows of ``engine.stats("town")`` that are no town (区外, 未定位: they follow the towns)."""
    stats = engine.stats("town")
    return {str(i) for i in stats["id"].iloc[len(engine.areas("town")):]}


def change_towns(diff: VersionDiff, old: Engine, new: Engine, limit: int = CHANGE_TOWNS) -> list[dict[str, Any]]:
    """The towns whose :data:`CHANGE_METRIC` rose most from ``old`` to ``new``, largest increase first.

    Towns of either version with a known change (a town only one version has
    has none); ties keep the order of :attr:`VersionDiff.areas`.  ``feature``
    is the town's position in the town view (``None`` for a town the new version lacks).
    """
    extra = _extra_town_ids(old) | _extra_town_ids(new)
    areas = diff.areas
    changes = pd.to_numeric(areas[f"{CHANGE_METRIC}_change"], errors="coerce").to_numpy(dtype="float64",
                                                                                          na_value=np.nan)
    ids = areas["id"].astype(str).tolist()
    rows = [i for i in range(len(areas)) if ids[i] not in extra and math.isfinite(changes[i])]
    top = sorted(rows, key=lambda i: -changes[i])[:limit]
    largest = max((changes[i] for i in top), default=0.0)
    feature_of = {str(t): k for k, t in enumerate(new.choropleth("town")["id"])}
    unit = METRICS[CHANGE_METRIC].unit
    out = []
    for i in top:
        before = as_float(areas[f"{CHANGE_METRIC}_from"].iloc[i])
        after = as_float(areas[f"{CHANGE_METRIC}_to"].iloc[i])
        change = float(changes[i])
        out.append({"name": text_of(areas["name"].iloc[i]), "from": int(before), "to": int(after),
                    "change": int(change), "value": change_text(CHANGE_METRIC, change),
                    "sub": f"{format_number(before)} → {format_number(after)} {unit}".rstrip(),
                    "share": round(change / largest, 4) if change > 0 and largest > 0 else 0.0,
                    "feature": feature_of.get(ids[i])})
    return out


def _tone(rate_change: float | None) -> str:
    """``good``/``bad``/``none``: the colour of a rate's change as the screen rounds it (0.1 个百分点)."""
    points = 0.0 if rate_change is None else round(rate_change * 100, 1)
    return "good" if points > 0 else ("bad" if points < 0 else "none")


def _rate(engine: Engine) -> float | None:
    rate = as_float(engine.stats("district").iloc[0]["ip_coverage_rate"])
    return rate if math.isfinite(rate) else None


def change_view(old: Engine, new: Engine, date_from: str, date_to: str,
                diff: VersionDiff | None = None) -> dict[str, Any]:
    """The 本季度变化 frame: what changed from version ``old`` (D1) to ``new`` (D2), as aggregate figures only.

    Parameters
    ----------
    old, new
        Engines of the version before and of the version shown.
    date_from, date_to
        Their as-of dates (D1, D2).
    diff
        :func:`~dashboard.engine.changes.diff_engines` of the two at the town level, when already made.

    Returns
    -------
    dict
        ``from``, ``to``, the firm counts (``added``, ``removed``, ``first_ip``,
        ``lost_ip``, ``moved``), ``towns`` (:func:`change_towns`) and the
        district's ``coverage`` rate ``{"from", "to"}``, with the texts the
        screen shows.  No firm is named: the screen is seen by a whole room.
    """
    diff = diff if diff is not None else diff_engines(old, new, "town")
    counts = {key: len(getattr(diff, key)) for key in CHANGE_COUNTS}
    rate_from, rate_to = _rate(old), _rate(new)
    coverage = METRICS["ip_coverage_rate"]
    rate_change = None if rate_from is None or rate_to is None else rate_to - rate_from
    towns_title = f"{METRICS[CHANGE_METRIC].label.removesuffix('数')}增加最多的镇街"
    coverage_values = f"{value_text('ip_coverage_rate', rate_from)} → {value_text('ip_coverage_rate', rate_to)}"
    coverage_change = change_text("ip_coverage_rate", rate_change)
    return {
        "title": f"本季度变化（{date_from} → {date_to}）", "heading": "本季度变化",
        "period": f"数据截至 {date_from} → {date_to}", "from": date_from, "to": date_to, **counts,
        "figures": [{"key": key, "label": label, "value": format_number(counts[key]), "unit": "家", "tone": tone}
                    for key, (label, tone) in CHANGE_FIGURES.items()],
        "lost_ip_text": f"不再拥有知识产权 {format_number(counts['lost_ip'])} 家",
        "coverage": {"from": rate_from, "to": rate_to}, "coverage_label": coverage.label,
        "coverage_values": coverage_values, "coverage_change": coverage_change,
        "coverage_tone": _tone(rate_change),
        "coverage_text": f"{coverage.label} {coverage_values}（{coverage_change}）",
        "towns_title": towns_title, "towns": change_towns(diff, old, new),
        "color": LAYER_COLORS["highlight"], "opacity": AREA_OPACITY,
        "label": area_label_style(LAYER_COLORS["highlight"], "changes"),
    }


# --------------------------------------------------------------------------- the document


def build_payload(engine: Engine, town_metric: str, park_metric: str, service_metric: str,
                  changes: dict[str, Any] | None = None, visits: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the big screen shows, for one loaded folder or store version.

    Parameters
    ----------
    engine
        The engine of the loaded folder (or of the store's latest version in force).
    town_metric, park_metric, service_metric
        Metric keys of the town choropleth/ranking, the park ranking and the
        service view's town ranking.
    changes
        The 本季度变化 frame (:func:`change_view`), for a store version with a version before it.
    visits
        The 网格走访 frame (:func:`dashboard.bigscreen.visits.visit_view`), for a store with visits.

    Returns
    -------
    dict
        JSON-ready: header facts, the four target cards and one entry per
        view (``None`` for a view whose layer the folder lacks, for
        ``changes`` without a version before and for ``visits`` without a visit).
    """
    for key in (town_metric, park_metric, service_metric):
        if key not in METRICS:
            msg = f"指标应为 {sorted(METRICS)} 之一，而不是 {key!r}"
            raise ChoiceError(msg)
    service = service_view(engine)
    if service is not None:
        service["ranking"] = service_ranking(engine, service_metric)
    return {
        "district": engine.district_name,
        "data_date": engine.data_date,
        "source": engine.source,
        "demo": engine.is_demo,
        "demo_badge": DEMO_BADGE,
        "demo_note": NOTES["demo"],
        "palette": {**DARK, "highlight": LAYER_COLORS["highlight"], "towns": LAYER_COLORS["towns"],
                    "no_data": NO_DATA},
        "cards": target_cards(engine.targets()),
        "towns": town_view(engine, town_metric),
        "parks": park_view(engine, park_metric),
        "gi": gi_view(engine),
        "service": service,
        "changes": changes,
        "visits": visits,
        "max_rows": MAX_RANKING_ROWS,
    }


def to_script_json(payload: dict[str, Any]) -> str:
    """JSON text safe inside ``<script type="application/json">``: ``<``, ``>``, ``&`` escaped.

    Examples
    --------
    >>> "</script>" in to_script_json({"name": "</script><img src=x>"})
    False
    """
    text = json.dumps(json_ready(payload), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
