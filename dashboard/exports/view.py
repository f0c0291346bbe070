"""What one exported map shows: the level's areas, their metric, its classes, the focus area and the texts.

A :class:`MapView` is built once from an :class:`~dashboard.engine.Engine` and
drawn by every format (PNG/PDF/SVG through :mod:`dashboard.exports.static_map`,
HTML through :mod:`dashboard.exports.html_map`), so all of them show the same
classes and colours.  Classes come from :func:`dashboard.classify.classify` of
the metric over *every* area of the level, as in the app: a map zoomed on one
park uses the district's classes, and the pages of an atlas share one legend.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from dashboard.classify import DEFAULT_K, DEFAULT_SCHEME, SCHEMES, Classes, classify, legend_labels
from dashboard.engine import LEVEL_LABELS, Engine
from dashboard.engine.catalog import DEFAULT_METRIC, MAPPABLE_METRICS, metric_title, value_text
from dashboard.engine.metrics import METRICS, Metric
from dashboard.theme import DEMO_BADGE, NO_DATA, ramp
from loaders import IpgridError

SELECTED_SHARE = 0.5
"""An area belongs to a focus area when at least this share of it lies inside."""

APP_NAME = "ipgrid 知识产权网格地图"
"""Credited as the map maker."""


_SHARED = ("metric_geoms", "towns", "parks", "cells", "district", "town_lines")
"""Cached geometry a view zoomed on another area reuses."""


class ExportError(IpgridError, ValueError):
    """An export cannot be made from what was asked (unknown area, metric or level, no such layer)."""


class AreaNotFoundError(ExportError):
    """``--area`` names no town, park, grid cell or the district."""


def _fold(text: object) -> str:
    return unicodedata.normalize("NFKC", str(text)).strip().casefold()


def check_metric(metric: str) -> Metric:
    """The :class:`Metric` of ``metric``, which must be mappable.

    Raises
    ------
    ExportError
        ``metric`` is unknown or not numeric; the message lists the valid keys.
    """
    if metric not in MAPPABLE_METRICS:
        msg = f"指标 {metric!r} 不能制图；可用的指标：{', '.join(MAPPABLE_METRICS)}"
        raise ExportError(msg)
    return METRICS[metric]


def check_level(engine: Engine, level: str) -> None:
    """Raise :class:`ExportError` when ``level`` is unknown or the folder has no areas of it."""
    if level not in LEVEL_LABELS:
        msg = f"层级应为 {list(LEVEL_LABELS)} 之一，而不是 {level!r}"
        raise ExportError(msg)
    if level == "park" and engine.parks is None:
        msg = "数据文件夹中没有园区图层，无法按园区制图；请改用 --level town 或 grid"
        raise ExportError(msg)
    if level == "grid" and len(engine.cells) == 0:
        msg = "没有网格：数据中既无网格图层，也无法在园区或镇街上生成网格"
        raise ExportError(msg)


@dataclass(frozen=True)
class Focus:
    """The area a map is zoomed on."""

    kind: str
    """``town``, ``park`` or ``grid``."""
    name: str
    geometry_lonlat: BaseGeometry


def find_area(engine: Engine, name: str | None) -> Focus | None:
    """The town, park or grid cell called ``name`` (``None`` or the district name: the whole district).

    Names are compared after NFKC folding and trimming; towns are searched
    first, then parks, then grid cells by id and by name.

    Raises
    ------
    AreaNotFoundError
        No area has that name; the message lists some that do.
    """
    whole = (_fold(engine.district_name), _fold(LEVEL_LABELS["district"]))
    if name is None or not str(name).strip() or _fold(name) in whole:
        return None
    want = _fold(name)
    sources: list[tuple[str, gpd.GeoDataFrame | None, tuple[str, ...]]] = [
        ("town", engine.towns, ("name",)), ("park", engine.parks, ("name",)),
        ("grid", engine.cells, ("grid_id", "name")),
    ]
    known: list[str] = []
    for kind, frame, columns in sources:
        if frame is None or len(frame) == 0:
            continue
        for column in columns:
            if column not in frame:
                continue
            values = frame[column].astype(object).to_numpy()
            for pos, value in enumerate(values):
                if isinstance(value, str) and _fold(value) == want:
                    return Focus(kind, value, frame.geometry.values[pos])
            if kind != "grid":
                known += [str(v) for v in values if isinstance(v, str)]
    shown = "、".join(known[:30]) + ("……" if len(known) > 30 else "")
    msg = f"找不到名为「{name}」的区域（镇街、园区或网格编号）；可用的有：{shown}"
    raise AreaNotFoundError(msg)


def crs_label(crs: str) -> str:
    """``"CGCS2000 / 3-degree Gauss-Kruger CM 120E（EPSG:4549）"`` for a map footer."""
    parsed = pyproj.CRS(crs)
    code = parsed.to_epsg()
    return f"{parsed.name}（EPSG:{code}）" if code else parsed.name


class MapView:
    """Everything one map shows; build it with :func:`map_view`.

    Attributes
    ----------
    engine, level, metric, scheme
        What was asked.
    frame
        Every area of the level (EPSG:4326): ``id``, ``name``, ``value``
        (float, NaN when null), ``cls`` (class, -1 null), ``color``,
        ``selected`` (inside the focus, or all when there is none).
    classes, colors, legend
        The classification, one colour per class, one legend text per class.
    focus
        The area zoomed on, or ``None`` for the whole district.
    """

    def __init__(self, engine: Engine, level: str, metric: str, focus: Focus | None, scheme: str, k: int,
                 table: gpd.GeoDataFrame | None = None, classes: Classes | None = None) -> None:
        self.engine = engine
        self.level = level
        self.metric_key = metric
        self.metric = check_metric(metric)
        self.scheme = scheme
        self.k = k
        self.focus = focus
        table = engine.choropleth(level) if table is None else table
        self.table = table
        values = pd.to_numeric(table[metric], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        self.classes: Classes = classify(values, scheme, k) if classes is None else classes
        self.colors: tuple[str, ...] = ramp(self.classes.k)
        percent = self.metric.unit == "%"
        decimals = self.metric.decimals if percent else None
        self.legend: list[str] = legend_labels(self.classes, self.metric.unit, percent=percent, decimals=decimals)
        yb = self.classes.yb
        palette = np.array([*self.colors, NO_DATA], dtype=object)
        frame = gpd.GeoDataFrame(
            {"id": table["id"].to_numpy(), "name": table["name"].astype(str).to_numpy(), "value": values,
             "cls": yb, "color": palette[np.where(yb >= 0, yb, len(self.colors))]},
            geometry=table.geometry.values, crs=table.crs)
        frame["selected"] = self._selected(frame)
        self.frame = frame

    def focused(self, focus: Focus | None) -> MapView:
        """The same level, metric and classes, zoomed on ``focus`` (reuses the area table, classes and geometry).

        Every page of an atlas shares one legend this way, and the class
        breaks are computed once.
        """
        shared = {name: self.__dict__[name] for name in _SHARED if name in self.__dict__}
        view = MapView.__new__(MapView)
        view.__dict__.update(shared)
        MapView.__init__(view, self.engine, self.level, self.metric_key, focus, self.scheme, self.k, self.table,
                         self.classes)
        return view

    # -- focus ------------------------------------------------------------------------------

    def _selected(self, frame: gpd.GeoDataFrame) -> np.ndarray:
        n = len(frame)
        if self.focus is None:
            return np.ones(n, dtype=bool)
        metric = self.metric_geoms
        focus = self.to_metric(self.focus.geometry_lonlat)
        inside = shapely.area(shapely.intersection(metric, focus)) >= SELECTED_SHARE * shapely.area(metric)
        if not inside.any():  # a town asked at park level and the like: every area that overlaps
            inside = shapely.area(shapely.intersection(metric, focus)) > 0
        return np.asarray(inside, dtype=bool)

    # -- geometry in the metric CRS ----------------------------------------------------------

    @property
    def crs(self) -> str:
        """The folder's metric CRS, in which maps are drawn (areas, distances and the scale bar are true)."""
        return self.engine.metric_crs

    def to_metric(self, geom: BaseGeometry) -> BaseGeometry:
        """One EPSG:4326 geometry in the metric CRS."""
        return gpd.GeoSeries([geom], crs="EPSG:4326").to_crs(self.crs).iloc[0]

    @cached_property
    def metric_geoms(self) -> np.ndarray:
        """Geometry of every area of the level in the metric CRS."""
        return gpd.GeoSeries(self.table.geometry.values, crs=self.table.crs).to_crs(self.crs).values

    @property
    def metric_frame(self) -> gpd.GeoDataFrame:
        """:attr:`frame` in the metric CRS."""
        return gpd.GeoDataFrame(self.frame.drop(columns="geometry"), geometry=self.metric_geoms, crs=self.crs)

    @cached_property
    def town_lines(self) -> BaseGeometry:
        """Boundaries between towns (each shared edge once, the district boundary left out)."""
        edges = shapely.union_all(shapely.boundary(self.towns.geometry.values))
        return shapely.line_merge(shapely.difference(edges, shapely.buffer(shapely.boundary(self.district), 1.0)))

    @cached_property
    def towns(self) -> gpd.GeoDataFrame:
        """Towns (``name`` and geometry) in the metric CRS, for context and the locator."""
        return self.engine.towns[["name", "geometry"]].to_crs(self.crs)

    @cached_property
    def parks(self) -> gpd.GeoDataFrame | None:
        """Parks in the metric CRS, or ``None``."""
        parks = self.engine.parks
        return None if parks is None else parks[["name", "geometry"]].to_crs(self.crs)

    @cached_property
    def cells(self) -> gpd.GeoDataFrame:
        """Grid cells (``grid_id``, ``name``) in the metric CRS."""
        return self.engine.cells[["grid_id", "name", "geometry"]].to_crs(self.crs)

    @cached_property
    def district(self) -> BaseGeometry:
        """Union of the towns in the metric CRS."""
        return shapely.union_all(self.towns.geometry.values)

    @cached_property
    def focus_metric(self) -> BaseGeometry | None:
        """The focus area in the metric CRS, or ``None``."""
        return None if self.focus is None else self.to_metric(self.focus.geometry_lonlat)

    @property
    def extent_geometry(self) -> BaseGeometry:
        """What the map frame must show: the focus with its selected areas, or the district."""
        if self.focus is None:
            return self.district
        selected = self.metric_geoms[self.frame["selected"].to_numpy()]
        return shapely.union_all([self.focus_metric, *selected])

    # -- texts -------------------------------------------------------------------------------

    @property
    def is_demo(self) -> bool:
        """Whether the folder is the (synthetic) demo data."""
        return self.engine.is_demo

    @property
    def district_name(self) -> str:
        """Name of the district."""
        return self.engine.district_name

    @property
    def data_date(self) -> str:
        """``数据截至`` date from the folder's settings, or 未注明."""
        return self.engine.data_date

    @property
    def source(self) -> str:
        """``来源`` from the folder's settings, or 未注明."""
        return self.engine.source

    @property
    def n_selected(self) -> int:
        """Number of areas inside the focus."""
        return int(self.frame["selected"].sum())

    @property
    def title(self) -> str:
        """Map title, e.g. ``通州区各镇街有效发明专利分布图``."""
        d, label = self.district_name, self.metric.label
        if self.level == "district":
            return f"{d}{label}"
        what = f"各{LEVEL_LABELS[self.level]}" if self.focus is None or self.n_selected > 1 else ""
        where = "" if self.focus is None else self.focus.name
        if self.focus is not None and self.focus.kind == self.level and self.n_selected <= 1:
            return f"{d}{where}{label}"
        return f"{d}{where}{what}{label}分布图"

    @property
    def subtitle(self) -> str:
        """Unit, classification and the date the figures count to."""
        unit = self.metric.unit or "—"
        parts = [f"单位：{unit}"]
        if self.level != "district":
            parts.append(self.classification)
        year = self.engine.year
        parts.append(f"按 {year} 年末有效权利统计" if year else f"数据截至 {self.data_date}")
        return "　".join(parts)

    @property
    def classification(self) -> str:
        """``分级：自然断点（5 级）``."""
        return f"分级：{SCHEMES[self.scheme][1]}（{self.classes.k} 级）"

    @property
    def legend_title(self) -> str:
        """Legend heading: the metric's title, as the app's legend and tables write it."""
        return metric_title(self.metric_key)

    @property
    def credit(self) -> str:
        """The first footer line: data date and source, and 示例数据 on demo data."""
        text = f"数据截至 {self.data_date}　来源：{self.source}"
        return f"{text}　{DEMO_BADGE}" if self.is_demo and DEMO_BADGE not in self.source else text

    @property
    def maker(self) -> str:
        """The second footer line: CRS, maker and date made."""
        today = dt.date.today().isoformat()
        return f"坐标系：{crs_label(self.crs)}　制图：{APP_NAME}　制图日期：{today}"

    def value_text(self, value: float) -> str:
        """A value as shown on labels and tables (the catalog's format, with its unit)."""
        return value_text(self.metric_key, value)


def map_view(engine: Engine, level: str, area: str | None = None, metric: str = DEFAULT_METRIC,
             scheme: str | None = None, k: int | None = None) -> MapView:
    """Build the :class:`MapView` of a level, optionally zoomed on one area.

    Parameters
    ----------
    engine
        The analysis engine of a data folder.
    level
        ``district``, ``town``, ``park`` or ``grid``.
    area
        A town, park or grid cell (id or name) to zoom on; ``None`` for the district.
    metric
        Key of :data:`MAPPABLE_METRICS`.
    scheme, k
        Classification (see :data:`dashboard.classify.SCHEMES`); ``None`` takes the app's default.

    Raises
    ------
    ExportError
        Unknown level/metric, a level the folder has no areas of, or an unknown area.
    """
    check_level(engine, level)
    check_metric(metric)
    scheme = DEFAULT_SCHEME if scheme is None else scheme
    k = DEFAULT_K if k is None else int(k)
    if not 1 <= k <= 7:
        msg = f"分级数应在 1 到 7 之间（配色最多 7 级），而不是 {k}"
        raise ExportError(msg)
    if scheme not in SCHEMES:
        msg = f"分级方法应为 {list(SCHEMES)} 之一，而不是 {scheme!r}"
        raise ExportError(msg)
    crs = pyproj.CRS(engine.metric_crs)
    if not crs.is_projected or crs.axis_info[0].unit_name not in ("metre", "meter"):
        msg = (f"公制坐标系 {engine.metric_crs} 不是投影坐标系，无法绘制比例尺；"
               "请在 ipgrid.toml 的 metric_crs 中设置（如 EPSG:4549）")
        raise ExportError(msg)
    return MapView(engine, level, metric, find_area(engine, area), scheme, k)
