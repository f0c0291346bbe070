"""Whole maps and their layers, built from the engine: the app's pages and the big screen share them.

Every function takes the :class:`~dashboard.engine.Engine` of the loaded
folder and keeps the heavy preparation of a layer (simplified outlines,
GeoJSON text) in :meth:`Engine.memo`, so it is done once per loaded folder and
shared by every page, session and rerun.

:func:`level_map` is the one-call map of a level coloured by a metric (the
overview); the other ``add_*`` functions draw one layer each on a map from
:func:`new_map`.  The big screen draws its own maps in the browser from
:mod:`dashboard.bigscreen.payload`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import folium
import numpy as np
import pandas as pd

from dashboard.classify import SCHEMES, Classes, classify, legend_labels
from dashboard.engine import Engine
from dashboard.engine.catalog import (
    MAPPABLE_METRICS,
    format_distance,
    format_number,
    format_percent,
    metric_title,
    text_of,
    value_text,
    with_unit,
)
from dashboard.engine.metrics import METRICS
from dashboard.maps.assets import make_map
from dashboard.maps.basemaps import NO_BASEMAP, Basemap, add_basemap
from dashboard.maps.labels import add_demo_label
from dashboard.maps.layers import AreaLayer, CircleLayer, Legend, PointLayer
from dashboard.maps.shapes import (
    AGGREGATE_DECIMALS,
    NO_SHIFT,
    POINT_DECIMALS,
    Shift,
    bounds_of,
    decimals_for,
    encode_polygons,
    simplify_areas,
)
from dashboard.theme import LAYER_COLORS, LIGHT, NO_DATA, ramp, service_color
from loaders.errors import EngineInputError

LAYERS: dict[str, str] = {
    "towns": "镇街边界",
    "parks": "园区",
    "grids": "网格",
    "service_points": "服务站点",
    "gi_areas": "地理标志产区",
    "enterprises": "企业",
}
"""Layers a map page can switch on → Chinese label."""

DEFAULT_LAYERS: tuple[str, ...] = ("towns", "parks", "service_points")
"""Layers shown on the overview until the user chooses."""

FIRM_POINTS_LIMIT = 8_000
"""More firms than this are drawn as counted bubbles (about 1 km bins), not one by one."""

BIN_DEG = 0.01
"""Bin size of aggregated firm bubbles, in degrees (about 1 km)."""

LEVEL_OUTLINE = {"town": "towns", "park": "parks", "grid": "grids"}

FIRM_TIP_FIELDS: tuple[str, ...] = ("industry", "invention_patents", "utility_models", "designs",
                                    "trademarks", "copyrights", "software_copyrights", "nearest_service")
"""Rows of an enterprise's tooltip (after its name)."""

FIRM_TIP_LABELS: dict[str, str] = {
    "industry": "主导产业",
    **{k: METRICS[k].label for k in ("invention_patents", "utility_models", "designs", "trademarks",
                                     "copyrights", "software_copyrights")},
    "nearest_service": "最近服务站点",
}


MapSource = Engine
"""What the map builders draw from: the engine of the loaded folder (its tables and its memo)."""


# --------------------------------------------------------------------------- helpers


def new_map(*, basemap: Basemap = NO_BASEMAP, demo: bool = False, **kwargs: Any) -> tuple[folium.Map, Shift]:
    """An offline map with the chosen basemap, the demo label when ``demo``; and the vector shift.

    Parameters
    ----------
    basemap
        The user's basemap (default: none).
    demo
        Put the 示例数据 label on the map.
    **kwargs
        Passed to :func:`dashboard.maps.make_map`.
    """
    fmap = make_map(**kwargs)
    shift = add_basemap(fmap, basemap)
    if demo:
        add_demo_label(fmap)
    return fmap, shift


def fit(fmap: folium.Map, bounds: list[list[float]] | None, padding: int = 12) -> None:
    """Fit the map's view to ``bounds`` (``[[s, w], [n, e]]``) when given."""
    if bounds is not None:
        fmap.fit_bounds(bounds, padding=(padding, padding))


def level_shapes(src: MapSource, level: str, shift: Shift = NO_SHIFT) -> np.ndarray:
    """Simplified, rounded (and shifted) outlines of the areas of ``level``, in stats-row order."""
    def build() -> np.ndarray:
        areas = src.choropleth(level)
        decimals = decimals_for(len(areas))
        geoms = simplify_areas(areas, src.metric_crs, decimals=decimals)
        return shift.geoms(geoms, decimals)

    return src.memo(("shapes", level, shift.system), build)


def level_codes(src: MapSource, level: str, shift: Shift = NO_SHIFT) -> tuple[list[str], int]:
    """:func:`level_shapes` encoded for :class:`AreaLayer` (one text per area) and the decimals used."""
    def build() -> tuple[list[str], int]:
        decimals = decimals_for(len(src.choropleth(level)))
        return encode_polygons(level_shapes(src, level, shift), decimals), decimals

    return src.memo(("codes", level, shift.system), build)


def fills_of(values: pd.Series, scheme: str, k: int) -> tuple[Classes, list[str]]:
    """Classes of ``values`` and the fill colour of each (:data:`NO_DATA` when missing).

    The one colouring rule of every choropleth (a district's areas, a city's
    districts), so equal values get equal colours and legends wherever they are drawn.
    """
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    classes = classify(numbers, scheme, k)
    colors = list(ramp(classes.k))
    return classes, [colors[c] if c >= 0 else NO_DATA for c in classes.yb]


def classes_for(src: MapSource, level: str, metric: str, scheme: str, k: int) -> tuple[Classes, list[str]]:
    """Classes of ``metric`` over the areas of ``level`` and the fill colour of each area (:func:`fills_of`)."""
    return src.memo(("classes", level, metric, scheme, int(k)),
                    lambda: fills_of(src.choropleth(level)[metric], scheme, k), volatile=True)


def legend_for(classes: Classes, metric: str, scheme: str, has_null: bool) -> Legend:
    """The Chinese legend of a choropleth, with units."""
    m = METRICS[metric]
    # every value null (e.g. per-resident figures of parks without population): only 无数据
    labels = legend_labels(classes, m.unit, percent=m.unit == "%",
                           decimals=None if m.unit != "%" else m.decimals) if classes.k else []
    entries: list[tuple[str, str]] = list(zip(ramp(classes.k), labels, strict=True))
    if has_null or not entries:
        entries.append((NO_DATA, "无数据"))
    note = f"分级：{SCHEMES[scheme][1]}，{classes.k} 级"
    return Legend(metric_title(metric), entries, note=note)


def choropleth_props(table: pd.DataFrame, metric: str, fills: Sequence[str]) -> list[dict]:
    """Each area's :class:`AreaLayer` properties: ``id``, fill ``c`` and tooltip texts ``t``.

    ``table`` has ``id``, ``name``, ``metric`` and ``enterprises``: the tooltip
    shows the name, the value and, beside any other metric, the firms (every
    text from data goes through :func:`text_of`; the layer writes it as text).
    """
    extra = metric != "enterprises"  # the firm count beside any other metric
    return [{"id": str(i), "c": fill,
             "t": [text_of(name), value_text(metric, v), *([value_text("enterprises", n)] if extra else [])]}
            for i, name, v, n, fill in zip(table["id"], table["name"], table[metric], table["enterprises"], fills,
                                           strict=True)]


def choropleth_layer(codes: Sequence[str], props: Sequence[dict], metric: str, *, decimals: int, kind: str,
                     weight: float = 1.2, selected: str | None = None) -> AreaLayer:
    """The filled areas of a choropleth (``properties.kind`` = ``kind``), labelled as :func:`choropleth_props`."""
    labels = ["名称", METRICS[metric].label, *([METRICS["enterprises"].label] if metric != "enterprises" else [])]
    return AreaLayer(
        codes, props, decimals=decimals, kind=kind,
        style={"color": "#ffffff", "weight": weight, "fillOpacity": 0.75, "fillColor": NO_DATA},
        hover={"weight": 3, "color": LIGHT["accent"]},
        labels=labels, selected=selected, name=f"choropleth-{kind}",
        selected_style={"weight": 4, "color": LAYER_COLORS["highlight"]},
    )


def check_mappable(metric: str) -> None:
    """Refuse a metric a map cannot be coloured by (:data:`MAPPABLE_METRICS`)."""
    if metric not in MAPPABLE_METRICS:
        msg = f"metric 应为可制图指标之一 {MAPPABLE_METRICS}，而不是 {metric!r}"
        raise EngineInputError(msg)


# --------------------------------------------------------------------------- area layers


def add_choropleth(fmap: folium.Map, src: MapSource, level: str, metric: str, scheme: str, k: int, *,
                   shift: Shift = NO_SHIFT, selected: str | None = None, legend: bool = True) -> AreaLayer:
    """Colour the areas of ``level`` by ``metric``; the tooltip shows name, value and firms.

    Each feature's ``properties.id`` is the area id of :meth:`Engine.stats`
    (returned by streamlit-folium on click), ``properties.kind`` the level.
    """
    check_mappable(metric)
    table = src.choropleth(level)
    classes, fills = classes_for(src, level, metric, scheme, k)
    props = src.memo(("choropleth-props", level, metric, scheme, int(k)),
                     lambda: choropleth_props(table, metric, fills), volatile=True)
    codes, decimals = level_codes(src, level, shift)
    layer = choropleth_layer(codes, props, metric, decimals=decimals, kind=level,
                             weight=1.2 if level != "grid" else 0.5, selected=selected)
    layer.add_to(fmap)
    if legend:
        legend_for(classes, metric, scheme, bool((classes.yb < 0).any())).add_to(fmap)
    return layer


def add_outline(fmap: folium.Map, src: MapSource, level: str, *, shift: Shift = NO_SHIFT,
                ids: Iterable[str] | None = None, color: str | None = None, weight: float = 1.5,
                dash: str | None = None, fill_opacity: float = 0.0, labels: bool = True,
                interactive: bool = False, selected: str | None = None) -> AreaLayer | None:
    """Outlines of the areas of ``level`` (optionally only ``ids``), with a name tooltip when interactive."""
    table = src.choropleth(level)
    if len(table) == 0:
        return None
    keep = np.ones(len(table), dtype=bool) if ids is None else table["id"].astype(str).isin(set(ids)).to_numpy()
    if not keep.any():
        return None

    def build_all() -> list[dict]:
        return [{"id": str(i), "t": [text_of(nm), value_text("enterprises", n)]}
                for i, nm, n in zip(table["id"], table["name"], table["enterprises"], strict=True)]

    codes, decimals = level_codes(src, level, shift)
    chosen = np.flatnonzero(keep)
    props = None
    if labels or interactive or selected is not None:
        every = src.memo(("outline-props", level), build_all)
        props = [every[i] for i in chosen]
    style: dict[str, Any] = {"color": color or LAYER_COLORS[LEVEL_OUTLINE[level]], "weight": weight,
                             "fill": fill_opacity > 0, "fillOpacity": fill_opacity,
                             "fillColor": color or LAYER_COLORS[LEVEL_OUTLINE[level]]}
    if dash:
        style["dashArray"] = dash
    layer = AreaLayer([codes[i] for i in chosen], props, decimals=decimals, kind=level, style=style,
                      labels=["名称", METRICS["enterprises"].label] if labels else (),
                      hover={"weight": weight + 1.5} if interactive else None, interactive=interactive,
                      selected=selected, name=f"outline-{level}")
    layer.add_to(fmap)
    return layer


def add_gi_areas(fmap: folium.Map, src: MapSource, *, shift: Shift = NO_SHIFT, selected: str | None = None,
                 interactive: bool = True, fill_opacity: float = 0.12) -> AreaLayer | None:
    """Geographic-indication production areas (dashed red), tooltip: name, category, towns."""
    gi = src.layer("gi_areas")
    if gi is None:
        return None

    def build() -> tuple[list[str], list[dict]]:
        geoms = shift.geoms(simplify_areas(gi, src.metric_crs))
        props = []
        for row in gi.itertuples(index=False):
            towns = getattr(row, "towns_resolved", None) or getattr(row, "towns", None)
            props.append({"id": str(row.name),
                          "t": [str(row.name), _text(getattr(row, "category", None)), _text(towns),
                                _text(getattr(row, "holder", None))]})
        return encode_polygons(geoms), props

    codes, props = src.memo(("gi", shift.system), build)
    color = LAYER_COLORS["gi_areas"]
    layer = AreaLayer(codes, props, decimals=5, kind="gi",
                      style={"color": color, "weight": 2, "dashArray": "6 4", "fillColor": color,
                             "fillOpacity": fill_opacity, "fill": fill_opacity > 0},
                      labels=["地理标志", "保护类型", "保护范围", "申请人/注册人"],
                      hover={"weight": 4} if interactive else None, interactive=interactive,
                      selected=selected, selected_style={"weight": 4, "fillOpacity": 0.35},
                      name="gi")
    layer.add_to(fmap)
    return layer


def _text(value: object) -> str | None:
    """Text from data for a tooltip row; ``None`` (shown as —) when missing."""
    return text_of(value) or None


# --------------------------------------------------------------------------- points


def service_frame(src: MapSource) -> pd.DataFrame:
    """Service points with their reach (metres) and lon/lat; empty when the folder has none."""
    def build() -> pd.DataFrame:
        sp = src.layer("service_points")
        if sp is None:
            return pd.DataFrame(columns=["name", "type", "address", "phone", "radius_m", "lon", "lat"])
        geoms = sp.geometry.to_numpy()
        out = pd.DataFrame({
            "name": sp["name"].to_numpy(), "type": sp["type"].to_numpy(),
            "address": sp["address"].to_numpy() if "address" in sp else None,
            "phone": sp["phone"].to_numpy() if "phone" in sp else None,
            "radius_m": np.asarray(src.service_radii, dtype="float64"),
            "lon": [g.x if g is not None and not g.is_empty else np.nan for g in geoms],
            "lat": [g.y if g is not None and not g.is_empty else np.nan for g in geoms],
        })
        return out

    return src.memo(("service-frame",), build)


def add_service_points(fmap: folium.Map, src: MapSource, *, shift: Shift = NO_SHIFT, reach: bool = False,
                       radius: float = 6.0) -> PointLayer | None:
    """Service points coloured by type, tooltip name/type/address/reach; with ``reach`` their circles."""
    sp = service_frame(src)
    sp = sp[np.isfinite(sp["lon"].to_numpy(dtype="float64")) & np.isfinite(sp["lat"].to_numpy(dtype="float64"))]
    if len(sp) == 0:
        return None
    lon, lat = shift.lonlat(sp["lon"], sp["lat"])
    lon, lat = np.round(lon, POINT_DECIMALS), np.round(lat, POINT_DECIMALS)
    types = [str(t) for t in sp["type"]]
    palette = sorted({service_color(t) for t in types})
    colors = [palette.index(service_color(t)) for t in types]
    if reach:
        CircleLayer(lat, lon, sp["radius_m"].to_numpy(), [service_color(t) for t in types]).add_to(fmap)
    values = [[n, t, _text(a), format_distance(r)] for n, t, a, r in
              zip(sp["name"], types, sp["address"], sp["radius_m"], strict=True)]
    layer = PointLayer(lat, lon, palette=palette, colors=colors, radius=radius, stroke="#1f2933",
                       labels=["站点", "类型", "地址", "服务半径"], values=values, kind="service",
                       ids=[str(n) for n in sp["name"]], name="service")
    layer.add_to(fmap)
    return layer


def service_legend(src: MapSource, *, position: str = "bottomleft", sites: bool = False) -> Legend | None:
    """Legend of the service-point types present (and of suggested sites when ``sites``)."""
    sp = service_frame(src)
    if len(sp) == 0:
        return None
    types = list(dict.fromkeys(str(t) for t in sp["type"]))
    entries = [(service_color(t), t, "circle") for t in types]
    if sites:
        entries.append((LAYER_COLORS["suggested"], "建议新增站点", "circle"))
    return Legend("服务站点", entries, position=position)


def _located(firms: pd.DataFrame) -> pd.DataFrame:
    lon = pd.to_numeric(firms["lon"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    lat = pd.to_numeric(firms["lat"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    return firms[np.isfinite(lon) & np.isfinite(lat)]


def firm_tip_rows(firms: pd.DataFrame) -> list[list[object]]:
    """Tooltip texts of each firm: its name, then :data:`FIRM_TIP_FIELDS`."""
    cols: list[list[object]] = [[_text(v) or "—" for v in firms["name"]]]
    for field in FIRM_TIP_FIELDS:
        if field not in firms:
            cols.append(["—"] * len(firms))
        elif field == "nearest_service":
            dist = firms["nearest_service_m"] if "nearest_service_m" in firms else [np.nan] * len(firms)
            cols.append([f"{_text(n)}（{format_distance(d)}）" if _text(n) and np.isfinite(d) else "—"
                         for n, d in zip(firms[field], dist, strict=True)])
        elif field == "industry":
            cols.append([_text(v) for v in firms[field]])
        else:
            unit = METRICS[field].unit
            cols.append([with_unit(format_number(v), unit) for v in firms[field]])
    return [list(row) for row in zip(*cols, strict=True)]


def firm_tips(src: MapSource) -> pd.Series:
    """Tooltip rows of every firm of :meth:`Engine.firm_table`, computed once per folder."""
    def build() -> pd.Series:
        table = src.firm_table()
        return pd.Series(firm_tip_rows(table), index=table.index, dtype=object)

    return src.memo(("firm-tips",), build)


def firm_bubbles(firms: pd.DataFrame, limit: int = FIRM_POINTS_LIMIT) -> bool:
    """Whether :func:`add_firms` draws ``firms`` as counted bubbles (more located firms than ``limit``)."""
    return len(_located(firms)) > limit


def add_firms(fmap: folium.Map, firms: pd.DataFrame, *, shift: Shift = NO_SHIFT, emphasise_without_ip: bool = False,
              limit: int = FIRM_POINTS_LIMIT, src: MapSource | None = None) -> PointLayer | None:
    """Enterprises as points (blue with IP, red without); over ``limit``, counted bubbles instead.

    Parameters
    ----------
    firms
        Rows of :meth:`Engine.firm_table` (any subset); its index is reported on click.
    emphasise_without_ip
        Draw firms without IP (培育对象) larger, for the commissioner's view.
    limit
        Most firms drawn one by one.
    src
        When given, tooltips come from its cache (:func:`firm_tips`); ``firms``
        must then be rows of its ``firm_table()`` with their index.
    """
    firms = _located(firms)
    if len(firms) == 0:
        return None
    if len(firms) > limit:
        return add_firm_bubbles(fmap, firms, shift=shift)
    lon, lat = shift.lonlat(firms["lon"], firms["lat"])
    has_ip = firms["has_ip"].fillna(False).to_numpy(dtype=bool)
    palette = [LAYER_COLORS["firm_with_ip"], LAYER_COLORS["firm_without_ip"]]
    radius: float | list[float] = 4.0
    if emphasise_without_ip:
        radius = np.where(has_ip, 4.0, 6.5).tolist()
    layer = PointLayer(np.round(lat, POINT_DECIMALS), np.round(lon, POINT_DECIMALS), palette=palette,
                       colors=np.where(has_ip, 0, 1), radius=radius,
                       labels=["企业", *(FIRM_TIP_LABELS[f] for f in FIRM_TIP_FIELDS)],
                       values=firm_tips(src).loc[firms.index].tolist() if src is not None else firm_tip_rows(firms),
                       kind="firm", ids=[int(i) for i in firms.index],
                       name="firms")
    layer.add_to(fmap)
    return layer


def add_firm_bubbles(fmap: folium.Map, firms: pd.DataFrame, *, shift: Shift = NO_SHIFT,
                     bin_deg: float = BIN_DEG) -> PointLayer | None:
    """Firms counted in square bins of ``bin_deg`` degrees, one bubble per bin (display clustering)."""
    firms = _located(firms)
    if len(firms) == 0:
        return None
    lon, lat = shift.lonlat(firms["lon"], firms["lat"])
    has_ip = firms["has_ip"].fillna(False).to_numpy(dtype=bool)
    bx = np.floor(lon / bin_deg).astype(np.int64)
    by = np.floor(lat / bin_deg).astype(np.int64)
    keys, inverse = np.unique(np.column_stack([bx, by]), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    n = np.bincount(inverse)
    with_ip = np.bincount(inverse, weights=has_ip.astype(float))
    cx = np.bincount(inverse, weights=lon) / n
    cy = np.bincount(inverse, weights=lat) / n
    radius = np.round(4 + 14 * np.sqrt(n / n.max()), 1)
    values = [["企业聚合（约 1 千米）", value_text("enterprises", c), value_text("enterprises_with_ip", w)]
              for c, w in zip(n, with_ip, strict=True)]
    layer = PointLayer(np.round(cy, AGGREGATE_DECIMALS), np.round(cx, AGGREGATE_DECIMALS),
                       palette=[LAYER_COLORS["firm_with_ip"]], radius=radius.tolist(),
                       labels=["", "企业数", "有知识产权企业数"], values=values, kind="firm_bin",
                       ids=list(range(len(keys))), name="firm-bins")
    layer.add_to(fmap)
    return layer


def firm_legend(*, bubbles: bool = False, without_ip_label: str = "无知识产权企业",
                with_ip_label: str = "有知识产权企业", position: str = "bottomleft") -> Legend:
    """Legend of the enterprise points."""
    if bubbles:
        return Legend("企业", [(LAYER_COLORS["firm_with_ip"], "企业聚合（圆越大企业越多）", "circle")],
                      position=position)
    return Legend("企业", [(LAYER_COLORS["firm_with_ip"], with_ip_label, "circle"),
                         (LAYER_COLORS["firm_without_ip"], without_ip_label, "circle")],
                  position=position)


def add_sites(fmap: folium.Map, sites: pd.DataFrame | None, *, shift: Shift = NO_SHIFT) -> PointLayer | None:
    """Suggested new service sites (purple) with their reach circles."""
    if sites is None or len(sites) == 0:
        return None
    lon, lat = shift.lonlat(sites["lon"], sites["lat"])
    lat, lon = np.round(lat, POINT_DECIMALS), np.round(lon, POINT_DECIMALS)
    color = LAYER_COLORS["suggested"]
    CircleLayer(lat, lon, sites["radius_m"].to_numpy(dtype="float64"), [color] * len(sites),
                name="suggested-reach").add_to(fmap)
    values = [[f"建议站点 {int(r)}", _text(t), value_text("gain", g), format_percent(s)]
              for r, t, g, s in zip(sites["rank"], sites["town"], sites["gain"], sites["cumulative_share"],
                                    strict=True)]
    layer = PointLayer(lat, lon, palette=[color], radius=9, stroke="#ffffff",
                       labels=["", "所在镇街", "新增覆盖企业", "累计覆盖未覆盖企业"], values=values,
                       kind="site", ids=[int(r) for r in sites["rank"]], name="sites")
    layer.add_to(fmap)
    return layer


# --------------------------------------------------------------------------- the one-call map


def add_layers(fmap: folium.Map, src: MapSource, layers: Sequence[str], *, shift: Shift = NO_SHIFT,
               skip: Sequence[str] = (), firms: pd.DataFrame | None = None) -> list[Legend]:
    """Draw the chosen overlay ``layers`` (keys of :data:`LAYERS`) except ``skip``; return their legends."""
    legends: list[Legend] = []
    chosen = [layer for layer in LAYERS if layer in layers and layer not in skip]
    for layer in chosen:
        if layer == "towns":
            add_outline(fmap, src, "town", shift=shift, color=LAYER_COLORS["towns"], weight=1.5)
        elif layer == "parks" and src.has_layer("parks"):
            add_outline(fmap, src, "park", shift=shift, weight=2.5, dash="5 3")
        elif layer == "grids":
            add_outline(fmap, src, "grid", shift=shift, weight=0.8, labels=False)
        elif layer == "gi_areas":
            add_gi_areas(fmap, src, shift=shift, interactive=False, fill_opacity=0.0)
        elif layer == "enterprises":
            table = src.firm_table() if firms is None else firms
            drawn = add_firms(fmap, table, shift=shift, src=src)
            if drawn is not None:
                legends.append(firm_legend(bubbles=drawn.layer_name == "firm-bins"))
        elif layer == "service_points" and add_service_points(fmap, src, shift=shift) is not None:
            legend = service_legend(src)
            if legend is not None:
                legends.append(legend)
    return legends


def level_map(src: MapSource, level: str = "town", metric: str = "enterprises", scheme: str = "natural_breaks",
              k: int = 5, layers: Sequence[str] = DEFAULT_LAYERS, *, basemap: Basemap = NO_BASEMAP,
              demo: bool = False, selected: str | None = None) -> folium.Map:
    """A map of the areas of ``level`` coloured by ``metric``, with overlay ``layers`` (the overview page).

    Parameters
    ----------
    src
        The engine of the loaded folder.
    level
        ``"town"``, ``"park"`` or ``"grid"``.
    metric
        Key of :data:`MAPPABLE_METRICS`.
    scheme, k
        Classification (:data:`dashboard.classify.SCHEMES`) and number of classes.
    layers
        Keys of :data:`LAYERS` to draw over the choropleth.
    basemap
        Tiles under the map (default: none).
    demo
        Put the 示例数据 label on the map.
    selected
        Id of an area to outline.

    Returns
    -------
    folium.Map
        Not yet localized (:func:`dashboard.maps.show_map` / :func:`map_html` do it).
    """
    if level not in LEVEL_OUTLINE:
        msg = f"level 应为 {sorted(LEVEL_OUTLINE)} 之一，而不是 {level!r}"
        raise EngineInputError(msg)
    fmap, shift = new_map(basemap=basemap, demo=demo)
    add_choropleth(fmap, src, level, metric, scheme, k, shift=shift, selected=selected)
    legends = add_layers(fmap, src, layers, shift=shift, skip=(LEVEL_OUTLINE[level],))
    for legend in legends:
        legend.add_to(fmap)
    fit(fmap, bounds_of(level_shapes(src, "town", shift)))
    return fmap
