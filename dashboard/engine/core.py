"""The analysis engine: the one place where canonical layers become figures.

Pages, the big screen, exports and the CLI ask an :class:`Engine`; none of
them reads a file or computes a metric.  Everything is computed lazily once
per engine (placement, rights, service reach) and shared by every level.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from dashboard.engine import coverage as cov
from dashboard.engine import gi as gi_mod
from dashboard.engine import grids as grid_mod
from dashboard.engine import metrics as m
from dashboard.engine import placement as pl
from dashboard.engine.catalog import LEVEL_LABELS, LEVELS, MAPPABLE_METRICS, WAN_PER_YI, text_of
from dashboard.engine.memo import Memo
from dashboard.engine.metrics import METRICS
from dashboard.engine.precomputed import Precomputed, grid_key
from dashboard.engine.ranking import ranked_table
from dashboard.engine.rights import HolderMatching, RightsRollup, match_holders, rollup_rights
from dashboard.engine.targets import target_progress
from loaders import DataBundle, ProblemLog
from loaders.config import FolderConfig
from loaders.errors import EngineInputError
from loaders.schema import HOLDING_FIELDS, OUTSIDE_AREA, UNLOCATED_AREA
from loaders.schema import LAYERS as LAYERS_ORDER

T = TypeVar("T")

DEFAULT_GRID_CELL_M = 1000.0
"""Size of generated grid cells when the folder has no official grid."""

VOLATILE_ENTRIES = 64
"""Most results kept of the ``volatile`` kind (one per metric × classification users tried)."""


@dataclass(frozen=True)
class TargetMeasure:
    """How a district figure measures an indicator with a target: which metric, times which factor."""

    metric: str
    factor: float = 1.0
    """Brings the metric into the indicator's unit (万元 → 亿元: 1/10,000)."""


TARGET_MEASURES: dict[str, TargetMeasure] = {
    "high_value_per_10k_pop": TargetMeasure("high_value_per_10k_pop"),
    "pledge_financing_yi": TargetMeasure("pledge_amount_wan", 1.0 / WAN_PER_YI),
}
"""Indicator key → the district figure computed from enterprise data that measures it (the 测算值)."""


@dataclass(frozen=True)
class CommissionerSummary:
    """What one commissioner looks after."""

    cells: int
    enterprises: int
    with_ip: int
    without_ip: int
    """培育对象: firms in the cells without any valid patent, trademark or copyright."""


@dataclass(frozen=True)
class Kpi:
    """A district figure as a key-figure card shows it: in the unit of its target when it has one."""

    key: str
    label: str
    value: float
    unit: str
    decimals: int
    target: pd.Series | None = None
    """The indicator's row of :meth:`Engine.targets` when this figure measures one."""
    target_progress: float = np.nan
    """The figure (in the target's unit) ÷ the target."""

    @property
    def percent(self) -> bool:
        """Whether the value is a share (0–1)."""
        return self.unit == "%"


def _checked_cell_m(value: object) -> float:
    """A generated grid's cell size in metres: a finite number > 0, else :class:`EngineInputError`."""
    try:
        cell_m = float(value)  # type: ignore[arg-type]  # anything float() takes; the rest is refused below
    except (TypeError, ValueError):
        cell_m = np.nan
    if isinstance(value, bool) or not np.isfinite(cell_m) or cell_m <= 0:
        msg = f"网格边长 grid_cell_m 应为大于 0 的数（米），而不是 {value!r}"
        raise EngineInputError(msg)
    return cell_m


def _first_right_year(records: pd.DataFrame) -> int | None:
    """The earliest application or grant year of the rights, ``None`` without a dated right."""
    years = []
    for column in ("app_date", "grant_date"):
        if column in records:
            dates = pd.to_datetime(records[column], errors="coerce")
            if dates.notna().any():
                years.append(int(dates.min().year))
    return min(years) if years else None


def _data_year(data_date: str | None) -> tuple[int, str]:
    """The last year figures can be asked for, and what it is: the data date's year, else this year."""
    found = re.match(r"\s*(\d{4})", data_date or "")
    if found:
        return int(found.group(1)), f"数据截至 {data_date}"
    today = dt.date.today().year
    return today, f"今年为 {today} 年"


def count_years(bundle: DataBundle) -> list[int]:
    """The years whose end the rights can be counted at (:func:`checked_year` accepts them); none without dates."""
    layer = bundle.layers.get("ip_records")
    if layer is None or len(layer.frame) == 0:
        return []
    first = _first_right_year(layer.frame)
    if first is None:
        return []
    last, _ = _data_year(bundle.config.district.data_date)
    return list(range(first, last + 1))


def checked_year(bundle: DataBundle, year: object) -> int | None:
    """``year`` when the folder's rights can be counted at its end, else :class:`EngineInputError`.

    A year needs dated rights (an ip_records layer with application or grant
    dates): the enterprise table's counts have no date, so any year would
    show the same numbers.  And it must lie within the data: from the earliest
    application or grant year to the year of ``[district] data_date`` (this
    year when the folder gives none).

    Raises
    ------
    loaders.errors.EngineInputError
        ``year`` is not a whole number, the folder has no dated rights, or ``year`` is outside them.
    """
    if year is None:
        return None
    if isinstance(year, bool) or not isinstance(year, int | np.integer):
        msg = f"年份 year 应为整数，而不是 {year!r}"
        raise EngineInputError(msg)
    asked = int(year)
    layer = bundle.layers.get("ip_records")
    if layer is None or len(layer.frame) == 0:
        msg = (f"无法按 {asked} 年末统计：数据文件夹中没有知识产权明细（知识产权.xlsx/.csv，每行一件专利/商标，"
               "含申请日、授权公告日）；企业表中的数量没有日期，只能按数据截至日统计")
        raise EngineInputError(msg)
    first = _first_right_year(layer.frame)
    if first is None:
        msg = (f"无法按 {asked} 年末统计：知识产权明细 {layer.file} 中没有申请日或授权公告日；"
               "请补充日期，或不指定年份（按数据截至日统计）")
        raise EngineInputError(msg)
    last, last_text = _data_year(bundle.config.district.data_date)
    if not first <= asked <= last:
        msg = (f"年份 {asked} 超出数据范围：知识产权明细中最早的申请/授权年份为 {first} 年，{last_text}；"
               f"请选择 {first}–{last} 年之间的年份")
        raise EngineInputError(msg)
    return asked


def _area_ids(areas: pd.DataFrame) -> list[str]:
    """Id of each town/park: its code, else its name (a missing code is NaN, not an empty string)."""
    return [str(c).strip() if pd.notna(c) and str(c).strip() else str(nm)
            for c, nm in zip(areas["code"], areas["name"], strict=True)]


class Engine:
    """Figures of one loaded data folder, for one year.

    Parameters
    ----------
    bundle
        A loaded data folder (:func:`loaders.load_folder`).
    year
        Count rights valid at the end of this year (needs an ip_records
        layer with dates, and a year within them: :func:`checked_year`);
        ``None`` counts as of the data date.
    grid_cell_m, grid_shape, grid_over
        Size (metres, finite and > 0), shape (``square``/``hex``) and cover (``parks``/``towns``)
        of generated grid cells, used only when the folder has no official
        grid layer; parks fall back to towns when the folder has no parks.
        At most ``[settings] max_generated_cells`` cells are generated (:attr:`cells`).

    Raises
    ------
    loaders.errors.EngineInputError
        A year without dated rights or outside them, a cell size that is not a
        positive number, an unknown shape or cover.
    """

    def __init__(self, bundle: DataBundle, *, year: int | None = None,
                 grid_cell_m: float = DEFAULT_GRID_CELL_M, grid_shape: str = "square",
                 grid_over: str = "parks") -> None:
        if grid_over not in ("parks", "towns"):
            msg = f"grid_over 应为 parks 或 towns，而不是 {grid_over!r}"
            raise EngineInputError(msg)
        if grid_shape not in ("square", "hex"):
            msg = f"网格形状应为 square 或 hex，而不是 {grid_shape!r}"
            raise EngineInputError(msg)
        self.grid_over = grid_over
        self.bundle = bundle
        self.year = checked_year(bundle, year)
        self.grid_cell_m = _checked_cell_m(grid_cell_m)
        self.grid_shape = cast(grid_mod.GridShape, grid_shape)
        self.metric_crs = bundle.config.metric_crs
        self._rights_log = ProblemLog()
        stored = getattr(bundle, "precomputed", None)  # a bundle-like test double may have none
        self._stored: Precomputed | None = stored if isinstance(stored, Precomputed) else None
        self._tables = Memo()
        self._volatile = Memo(entries=VOLATILE_ENTRIES)

    # -- memo ---------------------------------------------------------------------------------

    def memo(self, key: Hashable, compute: Callable[[], T], *, volatile: bool = False) -> T:
        """``compute()`` once per ``key`` for this engine's data, shared by every caller and thread.

        The engine's own tables are memoised this way; callers keep what they
        derive from them here too (the maps' prepared layers, rendered export
        files), so it lives exactly as long as the data it came from.
        ``volatile`` results (one per choice of metric and classification) are
        bounded, the least recently used dropped first.  Returned values are
        shared: never change them in place.
        """
        return (self._volatile if volatile else self._tables).get(key, compute)

    # -- layers -------------------------------------------------------------------------------

    def layer(self, name: str) -> gpd.GeoDataFrame | pd.DataFrame | None:
        """The canonical layer ``name`` (see :data:`loaders.schema.LAYERS`), ``None`` when absent or empty."""
        frame = self.bundle.frame(name)
        return None if frame is None or len(frame) == 0 else frame

    _layer = layer

    def has_layer(self, name: str) -> bool:
        """Whether the folder has rows in layer ``name``."""
        return self.layer(name) is not None

    @property
    def settings(self) -> FolderConfig:
        """The folder's settings (``ipgrid.toml``)."""
        return self.bundle.config

    @property
    def data_date(self) -> str:
        """``数据截至`` from the folder's settings, or 未注明."""
        return self.settings.district.data_date or "未注明"

    @property
    def source(self) -> str:
        """``来源`` from the folder's settings, or 未注明."""
        return self.settings.district.source or "未注明"

    @property
    def is_demo(self) -> bool:
        """Whether every view must carry the 示例数据 label."""
        return bool(self.bundle.is_demo)

    @property
    def enterprises(self) -> gpd.GeoDataFrame:
        """Canonical enterprises as loaded (EPSG:4326); :attr:`firms` has the holdings the metrics use."""
        frame = self.bundle.frame("enterprises")
        if frame is None:  # the loaders refuse a folder without enterprises; an empty layer is a 0-row frame
            msg = "数据中没有企业图层（企业.xlsx/.csv）"
            raise EngineInputError(msg)
        return frame

    @property
    def towns(self) -> gpd.GeoDataFrame:
        """Canonical towns (EPSG:4326)."""
        return self.bundle.frame("towns")

    @property
    def parks(self) -> gpd.GeoDataFrame | None:
        """Canonical parks, or ``None``."""
        return self._layer("parks")

    @cached_property
    def matching(self) -> HolderMatching | None:
        """Each right's holders matched to firms (kept by a store), when the folder has an ip_records layer."""
        if self._stored is not None:
            return self._stored.load_matching()
        records = self._layer("ip_records")
        return None if records is None else match_holders(records, self.enterprises)

    @cached_property
    def rights(self) -> RightsRollup | None:
        """Rights rolled up to enterprises, when the folder has an ip_records layer."""
        if self._stored is not None and self.year is None:
            return self._stored.rights
        records = self._layer("ip_records")
        if records is None:
            return None
        file = self.bundle.layers["ip_records"].file
        return rollup_rights(records, self.enterprises, year=self.year,
                             log=self._rights_log, file=file, matching=self.matching)

    @cached_property
    def problems(self) -> ProblemLog:
        """The loaders' problems plus the engine's own (rights whose holder matches no firm)."""
        if self._stored is not None:
            return self._stored.problems
        _ = self.rights
        merged = ProblemLog()
        merged.extend(self.bundle.problems)
        merged.extend(self._rights_log)
        merged.sort(list(LAYERS_ORDER))
        return merged

    @cached_property
    def firms(self) -> gpd.GeoDataFrame:
        """Enterprises with the holdings the metrics use.

        With an ip_records layer, the patent/trademark/copyright counts come
        from the records (for ``year`` when given); other fields (pledge,
        tier, industry) from the enterprise table.
        """
        firms = self.enterprises
        if self.rights is None:
            return firms
        firms = firms.copy()
        counts = self.rights.counts
        for key in HOLDING_FIELDS:
            if key in counts:
                firms[key] = counts[key].to_numpy(dtype="float64")
        return firms

    @cached_property
    def cells(self) -> gpd.GeoDataFrame:
        """Grid cells: the official grid layer, or cells generated over parks (else towns).

        Raises
        ------
        loaders.errors.GeneratedGridTooLargeError
            Generating would lay out more than ``[settings] max_generated_cells`` cells
            (the message names the smallest cell size that fits); nothing is allocated.
        """
        over = "parks" if self.parks is not None and self.grid_over == "parks" else "towns"
        cover = self.parks if over == "parks" else self.towns
        return grid_mod.official_or_generated(
            self._layer("grids"), cover, self.grid_cell_m, self.grid_shape, self.metric_crs,
            max_cells=self.settings.max_generated_cells, areas_label=LAYERS_ORDER[over].label,
        )

    # -- placement ----------------------------------------------------------------------------

    @property
    def grid_key(self) -> str:
        """The grid this engine places firms in (:func:`dashboard.engine.precomputed.grid_key`)."""
        return grid_key(self.has_layer("grids"), self.grid_cell_m, self.grid_shape, self.grid_over)

    @cached_property
    def placement(self) -> pl.Placement:
        """Town, park(s) and cell of every firm (see :mod:`dashboard.engine.placement`)."""
        if self._stored is not None and self._stored.grid_key == self.grid_key:
            return self._stored.placement
        points = self.firms.geometry.values
        lon, lat = pl.lonlat_of(points)
        x, y = pl.to_metric(lon, lat, self.metric_crs)
        cells = self.cells.geometry.values
        if len(cells):
            grid = pl.first_covering(points, cells)
            town = pl.first_covering_via_cells(points, self.towns.geometry.values, cells, grid)
        else:
            grid = np.where(np.isnan(x), pl.UNLOCATED, pl.OUTSIDE)
            town = pl.first_covering(points, self.towns.geometry.values)
        if self.parks is not None:
            park_firm, park_index = pl.all_covering(points, self.parks.geometry.values)
        else:
            park_firm = park_index = np.zeros(0, dtype=np.int64)
        return pl.Placement(town=town, grid=grid, park_firm=park_firm, park_index=park_index, x=x, y=y)

    # -- service reach ------------------------------------------------------------------------

    @cached_property
    def service_xy(self) -> np.ndarray:
        """Service points in the metric CRS, (m, 2)."""
        points = self._layer("service_points")
        if points is None:
            return np.zeros((0, 2))
        lon, lat = pl.lonlat_of(np.asarray(points.geometry.values, dtype=object))
        x, y = pl.to_metric(lon, lat, self.metric_crs)
        return np.column_stack([x, y])

    @cached_property
    def service_radii(self) -> np.ndarray:
        """Reach of each service point in metres: its own radius, else its type's."""
        points = self._layer("service_points")
        if points is None:
            return np.zeros(0)
        return cov.service_radii(points, self.bundle.config)

    @cached_property
    def firm_xy(self) -> np.ndarray:
        """Firms in the metric CRS, (n, 2), NaN when unlocated."""
        return np.column_stack([self.placement.x, self.placement.y])

    @cached_property
    def covered(self) -> np.ndarray:
        """Whether each firm is within reach of some service point (False when unlocated)."""
        if len(self.service_xy) == 0:
            return np.zeros(len(self.firms), dtype=bool)
        return cov.reach(self.firm_xy, self.service_xy, self.service_radii)

    @cached_property
    def nearest(self) -> tuple[np.ndarray, np.ndarray]:
        """Nearest service point position (-1 none) and distance in metres of each firm."""
        if len(self.service_xy) == 0:
            n = len(self.firms)
            return np.full(n, -1), np.full(n, np.nan)
        return cov.nearest_service(self.firm_xy, self.service_xy)

    # -- area tables --------------------------------------------------------------------------

    @cached_property
    def _values(self) -> dict[str, np.ndarray]:
        values = m.firm_values(self.firms)
        values["located"] = self.placement.located.astype("float64")
        # Without service points nobody knows the coverage: the sums (and so the rate) are null, not 0.
        values["covered"] = (self.covered.astype("float64") if self.has_layer("service_points")
                             else np.full(len(self.firms), np.nan))
        return values

    def _areas_km2(self, geoms: gpd.GeoSeries) -> np.ndarray:
        areas: np.ndarray = gpd.GeoSeries(geoms.values, crs=geoms.crs).to_crs(self.metric_crs).area.to_numpy()
        return areas / 1e6

    def _gi_columns(self, geoms: gpd.GeoSeries) -> tuple[np.ndarray, list[str]]:
        gi = self._layer("gi_areas")
        n = len(geoms)
        if gi is None or n == 0:
            return np.zeros(n, dtype=np.int64), [""] * n
        # Each GI polygon, prepared once, against a tree of the areas: "shares some interior"
        # is "intersects and does not only touch" — about 3x faster than relate() per pair.
        tree = shapely.STRtree(geoms.values)
        gi_geoms = np.asarray(gi.geometry.values, dtype=object)
        g1, a1 = tree.query(gi_geoms, predicate="intersects")
        g2, a2 = tree.query(gi_geoms, predicate="touches")
        both = np.setdiff1d(g1.astype(np.int64) * n + a1, g2.astype(np.int64) * n + a2)
        gi_idx, area_idx = both // n, both % n
        order = np.lexsort((gi_idx, area_idx))
        gi_idx, area_idx = gi_idx[order], area_idx[order]
        count = np.bincount(area_idx, minlength=n)
        names = [""] * n
        gi_names = gi["name"].to_numpy()
        for a, g in zip(area_idx, gi_idx, strict=True):
            names[a] = f"{names[a]}、{gi_names[g]}" if names[a] else str(gi_names[g])
        return count, names

    def _breakdowns(self, codes: np.ndarray, n: int) -> pd.DataFrame:
        firms = self.firms
        tiers = m.breakdown_counts(codes, n, firms["tier"], "tier")
        industries = m.breakdown_counts(codes, n, firms["industry"], "industry")
        return pd.concat([tiers, industries], axis=1)

    def _area_table(self, level: str, codes: np.ndarray, areas: gpd.GeoDataFrame, ids: list[str],
                    names: list[str], population: np.ndarray | None,
                    extra_rows: Sequence[tuple[str, str, int]] = ()) -> pd.DataFrame:
        n = len(areas)
        n_total = n + len(extra_rows)
        full = codes.copy()
        for pos, (_, _, code) in enumerate(extra_rows):
            full[codes == code] = n + pos
        sums = m.sum_by_code(full, n_total, self._values)
        table = pd.DataFrame({"level": level, "id": ids + [r[0] for r in extra_rows],
                              "name": names + [r[1] for r in extra_rows]})
        table = pd.concat([table, sums], axis=1)
        area = np.concatenate([self._areas_km2(areas.geometry), np.full(len(extra_rows), np.nan)])
        table["area_km2"] = area
        pop = np.full(n_total, np.nan)
        if population is not None:
            pop[:n] = population
        table["population"] = pop
        gi_count, gi_names = self._gi_columns(areas.geometry)
        table["gi_count"] = np.concatenate([gi_count, np.zeros(len(extra_rows), dtype=np.int64)])
        table["gi_names"] = gi_names + [""] * len(extra_rows)
        table = m.tidy_types(m.derive_ratios(table)[["level", "id", "name", *m.STATS_COLUMNS]])
        return pd.concat([table, self._breakdowns(full, n_total)], axis=1)

    def stats(self, level: str) -> pd.DataFrame:
        """One row per area of ``level`` with every metric of :data:`metrics.STATS_COLUMNS`.

        ``town`` adds a 区外 row (located outside every town) and a 未定位 row
        (no coordinates), so the towns' rows add up to the district; ``park``
        lists parks only (firms outside parks are in no row); ``grid`` lists cells.
        Computed once per engine; the frame is shared, never change it in place.

        Raises
        ------
        EngineInputError
            ``level`` is not a key of :data:`~dashboard.engine.catalog.LEVELS`.
        """
        if level not in LEVELS:
            msg = f"层级应为 {list(LEVELS)} 之一，而不是 {level!r}"
            raise EngineInputError(msg)
        return self._tables.get(("stats", level), lambda: self._stats(level))

    def _stats(self, level: str) -> pd.DataFrame:
        if level == "district":
            return self._district_table()
        if level == "town":
            towns = self.towns
            ids = _area_ids(towns)
            extra = [("outside", OUTSIDE_AREA, pl.OUTSIDE), ("unlocated", UNLOCATED_AREA, pl.UNLOCATED)]
            pop = towns["population"].to_numpy(dtype="float64", na_value=np.nan)
            return self._area_table("town", self.placement.town, towns, ids, list(towns["name"]), pop, extra)
        if level == "park":
            parks = self.parks
            if parks is None:
                return pd.DataFrame(columns=["level", "id", "name", *m.STATS_COLUMNS])
            return self._park_table(parks)
        if level == "grid":
            cells = self.cells
            ids = [str(i) for i in cells["grid_id"]]
            names = [str(nm) if isinstance(nm, str) and nm else i for nm, i in zip(cells["name"], ids, strict=True)]
            return self._area_table("grid", self.placement.grid, cells, ids, names, None)
        raise AssertionError(level)  # pragma: no cover - stats() checked the level

    def _park_table(self, parks: gpd.GeoDataFrame) -> pd.DataFrame:
        # Parks may overlap: a firm in two parks counts in both, so sum over (firm, park) pairs.
        pairs_firm, pairs_park = self.placement.park_firm, self.placement.park_index
        values = {k: v[pairs_firm] for k, v in self._values.items()}
        n = len(parks)
        sums = m.sum_by_code(pairs_park, n, values)
        ids = _area_ids(parks)
        table = pd.concat([pd.DataFrame({"level": "park", "id": ids, "name": list(parks["name"])}), sums], axis=1)
        table["area_km2"] = self._areas_km2(parks.geometry)
        table["population"] = parks["population"].to_numpy(dtype="float64", na_value=np.nan)
        gi_count, gi_names = self._gi_columns(parks.geometry)
        table["gi_count"], table["gi_names"] = gi_count, gi_names
        table = m.tidy_types(m.derive_ratios(table)[["level", "id", "name", *m.STATS_COLUMNS]])
        firms = self.firms.iloc[pairs_firm]
        extra = pd.concat([m.breakdown_counts(pairs_park, n, firms["tier"].reset_index(drop=True), "tier"),
                           m.breakdown_counts(pairs_park, n, firms["industry"].reset_index(drop=True),
                                              "industry")], axis=1)
        return pd.concat([table, extra], axis=1)

    @property
    def district_name(self) -> str:
        """District name from ipgrid.toml, else 全区."""
        return self.bundle.config.district.name or LEVEL_LABELS["district"]

    def district_population(self) -> float:
        """``[district] population`` from ipgrid.toml, else the towns' sum when every town has one."""
        configured = self.bundle.config.district.population
        if configured is not None:
            return float(configured)
        pops = self.towns["population"].to_numpy(dtype="float64", na_value=np.nan)
        return float(pops.sum()) if len(pops) and not np.isnan(pops).any() else np.nan

    @cached_property
    def _district_outline(self) -> shapely.Geometry:
        """The union of the towns (computed once: the district table and the district map share it)."""
        return shapely.union_all(self.towns.geometry.values)

    def _district_table(self) -> pd.DataFrame:
        codes = np.zeros(len(self.firms), dtype=np.int64)
        district = gpd.GeoDataFrame(geometry=[self._district_outline], crs=self.towns.crs)
        table = self._area_table("district", codes, district, ["district"], [self.district_name],
                                 np.array([self.district_population()]))
        return table

    # -- per-firm table -----------------------------------------------------------------------

    def firm_table(self) -> pd.DataFrame:
        """Every enterprise with where it is, what it holds and its nearest service point (shared frame)."""
        return self._tables.get(("firm_table",), self._firm_table)

    def _firm_table(self) -> pd.DataFrame:
        firms = self.firms
        place = self.placement
        town_names = np.asarray(self.towns["name"], dtype=object)
        town = np.where(place.town >= 0, town_names[np.clip(place.town, 0, None)] if len(town_names) else "",
                        np.where(place.town == pl.OUTSIDE, OUTSIDE_AREA, UNLOCATED_AREA))
        parks = [""] * len(firms)
        if self.parks is not None:
            park_names = np.asarray(self.parks["name"], dtype=object)
            for f, p in zip(place.park_firm, place.park_index, strict=True):
                parks[f] = f"{parks[f]}、{park_names[p]}" if parks[f] else park_names[p]
        cell_ids = np.asarray(self.cells["grid_id"], dtype=object) if len(self.cells) else np.array([], dtype=object)
        grid = np.where(place.grid >= 0, cell_ids[np.clip(place.grid, 0, None)] if len(cell_ids) else "", "")
        idx, dist = self.nearest
        sp = self._layer("service_points")
        sp_names = np.asarray(sp["name"], dtype=object) if sp is not None else np.array([], dtype=object)
        nearest_name = np.where(idx >= 0, sp_names[np.clip(idx, 0, None)] if len(sp_names) else "", "")
        table = pd.DataFrame({
            "name": firms["name"], "uscc": firms["uscc"], "address": firms["address"],
            "industry": firms["industry"], "tier": firms["tier"],
            "town": town, "parks": parks, "grid_id": grid,
        })
        values = self._values
        for key in HOLDING_FIELDS:
            table[key] = values[key]
        table["pledge_amount_wan"] = values["pledge_amount_wan"]
        table["has_ip"] = values["enterprises_with_ip"] > 0
        table["nearest_service"] = nearest_name
        table["nearest_service_m"] = dist
        table["covered"] = self.covered
        table["lon"], table["lat"] = firms["lon"].to_numpy(), firms["lat"].to_numpy()
        table["source_row"] = firms["source_row"].to_numpy()
        return table

    # -- targets, coverage --------------------------------------------------------------------

    def targets(self) -> pd.DataFrame:
        """Indicators against their targets, with the figures from enterprise data beside the reported ones.

        Columns of :func:`~dashboard.engine.targets.target_progress` (status
        with its one rule), plus ``bottom_up_progress``: the 测算值 ÷ the target.
        """
        return self._tables.get(("targets",), self._targets)

    def _targets(self) -> pd.DataFrame:
        district = self.stats("district").iloc[0]
        bottom_up = {key: float(district[measure.metric]) * measure.factor
                     for key, measure in TARGET_MEASURES.items()}
        table = target_progress(self.layer("indicators"), bottom_up)
        target = pd.to_numeric(table["target"], errors="coerce").to_numpy(dtype="float64")
        measured = pd.to_numeric(table["bottom_up"], errors="coerce").to_numpy(dtype="float64")
        with np.errstate(divide="ignore", invalid="ignore"):
            table["bottom_up_progress"] = np.where(np.isfinite(target) & (target != 0), measured / target, np.nan)
        return table

    def kpis(self, keys: tuple[str, ...]) -> list[Kpi]:
        """The district's figures ``keys`` for key-figure cards, each in its target's unit when it has one.

        A figure that measures an indicator with a target (:data:`TARGET_MEASURES`:
        pledge financing is summed in 万元 and targeted in 亿元) is given in the
        target's unit, with the target row and the share of it reached.
        """
        district = self.stats("district").iloc[0]
        targets = self.targets()
        by_metric = {measure.metric: (key, measure) for key, measure in TARGET_MEASURES.items()}
        out = []
        for key in keys:
            metric = METRICS[key]
            kpi = Kpi(key, metric.label, float(pd.to_numeric(district[key], errors="coerce")), metric.unit,
                      metric.decimals)
            if key in by_metric and len(targets):
                indicator, measure = by_metric[key]
                rows = targets[(targets["key"] == indicator) & targets["target"].notna()]
                if len(rows):
                    row = rows.iloc[0]
                    unit = str(row["unit"] or metric.unit)
                    decimals = 2 if measure.factor != 1.0 else metric.decimals
                    kpi = Kpi(key, metric.label, kpi.value * measure.factor, unit, decimals, row,
                              float(row["bottom_up_progress"]))
            out.append(kpi)
        return out

    def ranking(self, level: str, metric: str, *, ascending: bool = False) -> pd.DataFrame:
        """The areas of ``level`` ranked by ``metric`` (the one rule of :mod:`dashboard.engine.ranking`).

        Returns
        -------
        DataFrame
            The rows of :meth:`choropleth` (without geometry) in display order,
            with ``rank`` (``<NA>`` for an area without the figure), ``of``
            (how many areas were ranked), ``share`` (value ÷ the largest value,
            for bars) and ``pos`` (the row's position in :meth:`choropleth`).
        """
        if metric not in MAPPABLE_METRICS:
            msg = f"不能按指标 {metric!r} 排名；可用的指标：{', '.join(MAPPABLE_METRICS)}"
            raise EngineInputError(msg)

        def build() -> pd.DataFrame:
            return ranked_table(pd.DataFrame(self.choropleth(level).drop(columns="geometry")), metric,
                                ascending=ascending)

        return self._tables.get(("ranking", level, metric, ascending), build)

    def rank_of(self, level: str, metric: str, area_id: str) -> tuple[int | None, int]:
        """(rank, how many ranked) of one area; rank ``None`` when the area has no value or does not exist."""
        table = self.ranking(level, metric)
        row = table[table["id"].astype(str) == str(area_id)]
        if row.empty or pd.isna(row["rank"].iloc[0]):
            return None, int(table["of"].iloc[0]) if len(table) else 0
        return int(row["rank"].iloc[0]), int(row["of"].iloc[0])

    def rank_at(self, level: str, metric: str, pos: int) -> tuple[int | None, int]:
        """(rank, how many ranked) of the area in row ``pos`` of :meth:`choropleth`."""
        table = self.ranking(level, metric)
        by_pos = self._tables.get(("rank-by-pos", level, metric),
                                  lambda: table.set_index("pos")["rank"].sort_index())
        of = int(table["of"].iloc[0]) if len(table) else 0
        rank = by_pos.iloc[pos] if 0 <= pos < len(by_pos) else pd.NA
        return (None if pd.isna(rank) else int(rank)), of

    def firms_in(self, level: str, area_id: str) -> pd.DataFrame:
        """Rows of :meth:`firm_table` placed in one town, park or grid cell (by placement, not by name)."""
        def rows() -> np.ndarray:
            areas = self.areas(level)
            hits = np.flatnonzero(areas["id"].astype(str).to_numpy() == str(area_id))
            if level == "district":
                return np.arange(len(self.firms))
            if not len(hits):
                return np.zeros(0, dtype=np.int64)
            where = int(hits[0])
            place = self.placement
            if level == "town":
                return np.flatnonzero(place.town == where)
            if level == "grid":
                return np.flatnonzero(place.grid == where)
            return np.unique(place.park_firm[place.park_index == where])

        positions = self._tables.get(("firms-in", level, str(area_id)), rows)
        return self.firm_table().iloc[positions]

    def breakdown(self, level: str, area_id: str, by: str) -> pd.DataFrame:
        """Firms of one area by ``industry`` or ``tier``: ``label``, ``enterprises``, largest first, zeros left out."""
        if by not in ("industry", "tier"):
            msg = f"分类应为 industry 或 tier，而不是 {by!r}"
            raise EngineInputError(msg)
        stats = self.stats(level)
        rows = stats[stats["id"].astype(str) == str(area_id)]
        prefix = f"{by}:"
        cols = [c for c in stats.columns if c.startswith(prefix)]
        counts = [int(v) if pd.notna(v) else 0 for v in (rows.iloc[0][cols] if len(rows) else [0] * len(cols))]
        out = pd.DataFrame({"label": [c[len(prefix):] for c in cols], "enterprises": counts})
        return out[out["enterprises"] > 0].sort_values("enterprises", ascending=False, kind="stable"
                                                        ).reset_index(drop=True)

    def gi_table(self) -> pd.DataFrame:
        """Every geographic indication with its category, protection range, holder, year and users (may be empty)."""
        gi = self.layer("gi_areas")
        return gi_mod.gi_table(gi) if gi is not None else pd.DataFrame(columns=list(gi_mod.GI_COLUMNS))

    def gi_users(self, name: str) -> pd.DataFrame:
        """The authorised users of GI ``name``, each with its firm's town, industry and IP (empty when unknown)."""
        table = self.gi_table()
        rows = table[table["name"].astype(str) == name]
        users = gi_mod.split_users(rows["users"].iloc[0]) if len(rows) else []
        return gi_mod.match_users(users, self.firm_table())

    def uncovered_firms(self) -> pd.DataFrame:
        """Located firms beyond the reach of every service point, nearest point and distance."""
        def build() -> pd.DataFrame:
            table = self.firm_table()
            located = self.placement.located
            return pd.DataFrame(table[located & ~self.covered]).reset_index(drop=True)

        return self._tables.get(("uncovered",), build)

    def suggest_sites(self, k: int, *, radius_m: float | None = None, only_with_ip: bool | None = None
                      ) -> pd.DataFrame:
        """Greedy choice of ``k`` new service sites among grid-cell centroids.

        Each new site reaches ``radius_m`` (default: the 基层知识产权工作站 radius)
        and is chosen to cover the most firms still uncovered; ``only_with_ip``
        True/False restricts the firms counted to those with/without IP.
        """
        key = ("sites", int(k), radius_m, only_with_ip)
        return self._tables.get(key, lambda: self._suggest_sites(int(k), radius_m, only_with_ip))

    def _suggest_sites(self, k: int, radius_m: float | None, only_with_ip: bool | None) -> pd.DataFrame:
        cfg = self.bundle.config
        radius = float(radius_m if radius_m is not None else cfg.radius_for("基层知识产权工作站"))
        want = self.placement.located & ~self.covered
        if only_with_ip is not None:
            has_ip = self._values["enterprises_with_ip"] > 0
            want &= has_ip if only_with_ip else ~has_ip
        candidates = self._candidate_sites()
        cxy = np.column_stack([candidates["x"], candidates["y"]])
        result = cov.suggest_sites(self.firm_xy[want], cxy, radius, k)
        if len(result) == 0:
            return result
        lon, lat = pl.from_metric(result["x"].to_numpy(), result["y"].to_numpy(), self.metric_crs)
        result = result.copy()
        result["lon"], result["lat"] = lon, lat
        pos = result["candidate"].to_numpy()
        result["grid_id"] = candidates["grid_id"].to_numpy()[pos]
        town = pl.first_covering(np.asarray(shapely.points(lon, lat), dtype=object), self.towns.geometry.values)
        names = np.asarray(self.towns["name"], dtype=object)
        result["town"] = np.where(town >= 0, names[np.clip(town, 0, None)], OUTSIDE_AREA)
        result["radius_m"] = radius
        return result

    def _candidate_sites(self) -> pd.DataFrame:
        """Centroids of cells generated over the whole district: where a new site could go."""
        union = shapely.union_all(self.towns.to_crs(self.metric_crs).geometry.values)
        if not isinstance(union, shapely.Polygon | shapely.MultiPolygon):
            msg = "镇街图层的范围不是面，无法生成候选站点位置"
            raise EngineInputError(msg)
        cells = grid_mod.generate_grid(union, self.grid_cell_m, "square", crs=self.metric_crs,
                                       max_cells=self.settings.max_generated_cells)
        centroids = shapely.centroid(cells.geometry.values)
        return pd.DataFrame({"grid_id": cells["grid_id"].to_numpy(), "x": shapely.get_x(centroids),
                             "y": shapely.get_y(centroids)})

    # -- geometry of each level, commissioners ------------------------------------------------

    def areas(self, level: str) -> gpd.GeoDataFrame:
        """Polygons of ``level`` (EPSG:4326) with ``id``/``name``, in the order of :meth:`stats` rows (shared)."""
        return self._tables.get(("areas", level), lambda: self._areas(level))

    def _areas(self, level: str) -> gpd.GeoDataFrame:
        if level == "district":
            return gpd.GeoDataFrame({"id": ["district"], "name": [self.district_name]},
                                    geometry=[self._district_outline], crs=self.towns.crs)
        table = self.stats(level)
        source = {"town": self.towns, "park": self.parks, "grid": self.cells}[level]
        if source is None:
            return gpd.GeoDataFrame({"id": [], "name": []}, geometry=[], crs="EPSG:4326")
        n = len(source)
        return gpd.GeoDataFrame({"id": table["id"].iloc[:n].to_numpy(), "name": table["name"].iloc[:n].to_numpy()},
                                geometry=source.geometry.values, crs=source.crs)

    def choropleth(self, level: str) -> gpd.GeoDataFrame:
        """:meth:`areas` joined with every metric of :meth:`stats` (区外/未定位 rows left out; shared)."""
        return self._tables.get(("choropleth", level), lambda: self._choropleth(level))

    def _choropleth(self, level: str) -> gpd.GeoDataFrame:
        areas = self.areas(level)
        table = self.stats(level).iloc[: len(areas)].reset_index(drop=True)
        return gpd.GeoDataFrame(table, geometry=areas.geometry.values, crs=areas.crs)

    @cached_property
    def commissioners(self) -> grid_mod.CommissionerReport:
        """Cells with their commissioners, cells with none, commissioners with none."""
        return grid_mod.join_commissioners(self.cells, self._layer("commissioners"))

    def commissioner_directory(self) -> dict[str, str]:
        """Commissioner name → phone (first seen; "" when none): those with cells first, then those without."""
        def build() -> dict[str, str]:
            report = self.commissioners
            out: dict[str, str] = {}
            for frame, column in ((report.assignments, "commissioner"), (report.idle_commissioners, "name")):
                for name, phone in zip(frame[column], frame["phone"], strict=True):
                    out.setdefault(text_of(name), text_of(phone))
            out.pop("", None)
            return out

        return self._tables.get(("commissioner-directory",), build)

    def cells_of(self, commissioner: str) -> list[str]:
        """Grid ids assigned to ``commissioner``, in the order of the cells."""
        a = self.commissioners.assignments
        return a.loc[a["commissioner"].astype(str) == commissioner, "grid_id"].astype(str).drop_duplicates().tolist()

    def firms_of(self, commissioner: str) -> pd.DataFrame:
        """Rows of :meth:`firm_table` in the cells of ``commissioner``."""
        table = self.firm_table()
        return table[table["grid_id"].astype(str).isin(set(self.cells_of(commissioner))).to_numpy()]

    def commissioner_summary(self, commissioner: str) -> CommissionerSummary:
        """How many cells, firms, firms with IP and 培育对象 (firms without IP) ``commissioner`` looks after."""
        firms = self.firms_of(commissioner)
        has_ip = firms["has_ip"].fillna(False).to_numpy(dtype=bool)
        return CommissionerSummary(cells=len(self.cells_of(commissioner)), enterprises=len(firms),
                                   with_ip=int(has_ip.sum()), without_ip=int((~has_ip).sum()))

    def cell_table(self, ids: list[str]) -> pd.DataFrame:
        """The grid statistics of cells ``ids`` (in the cells' order) with each cell's ``parent`` park/town."""
        stats = self.choropleth("grid")
        keep = stats["id"].astype(str).isin(set(ids)).to_numpy()
        table = pd.DataFrame(stats.loc[keep].drop(columns="geometry")).rename(columns={"id": "grid_id"})
        parents = self.cells[["grid_id", "parent"]].astype({"grid_id": str})
        return table.astype({"grid_id": str}).merge(parents, on="grid_id", how="left")

    def unassigned_cells(self) -> pd.DataFrame:
        """Cells nobody looks after (``grid_id``, ``name``, ``parent``) with their number of firms."""
        def build() -> pd.DataFrame:
            table = self.commissioners.unassigned_cells.copy()
            grid = self.stats("grid").set_index("id")
            table["enterprises"] = grid["enterprises"].reindex(table["grid_id"].astype(str)).to_numpy()
            return table

        return self._tables.get(("unassigned-cells",), build)
