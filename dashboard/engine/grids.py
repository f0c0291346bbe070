"""Grid cells: regular square/hex grids with stable ids, official-or-generated cells, commissioners.

A regular grid lives in absolute metric coordinates (the folder's metric CRS,
EPSG:4549 by default), so a cell's id depends only on where it is and how big
it is, never on the area it was generated over or on row order:

* squares: ``S{cell_m}-{col}-{row}`` with ``col = floor(x / cell_m)`` and
  ``row = floor(y / cell_m)``; the cell is ``[col·s, (col+1)·s) × [row·s, (row+1)·s)``.
* hexes: pointy-topped (two vertical edges, rows of hexes along x);
  ``cell_m`` is the distance between opposite edges (the width across flats),
  the side is ``cell_m / √3``; the id is ``H{cell_m}-{q}-{r}`` in axial
  coordinates, the centre of ``(q, r)`` being ``(cell_m·(q + r/2), cell_m·√3/2·r)``;
  a negative coordinate is written ``m`` + its size (``H1000-m729-2048``).

The same grid bins points by arithmetic (:func:`cell_index`,
:class:`RegularGrid`): integer codes that feed ``np.bincount`` directly, and
map back to the ids of :func:`generate_grid`.

When a folder has official grid polygons they win; otherwise cells are
generated over each park (or town): :func:`official_or_generated` (the
engine's :attr:`~dashboard.engine.Engine.cells`).  Generating never lays out
more than ``max_cells`` cells (``[settings] max_generated_cells``, default
:data:`~loaders.config.DEFAULT_MAX_GENERATED_CELLS`): :func:`check_generated_cells`
counts them by arithmetic first and refuses with the smallest cell size that fits.
:func:`join_commissioners` joins cells with the commissioners layer and lists the management gaps.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from dashboard.engine.formats import is_missing
from loaders.config import DEFAULT_MAX_GENERATED_CELLS
from loaders.errors import ConfigError, EngineInputError, GeneratedGridTooLargeError, LayerCrsError
from loaders.schema import DEFAULT_METRIC_CRS, STORAGE_CRS

GridShape = Literal["square", "hex"]
SHAPES: dict[str, str] = {"square": "正方形", "hex": "六边形"}
"""Grid shapes a user can choose → Chinese label."""

DEFAULT_CELL_M = 1000.0
"""Default size of generated cells in metres (square side / hex width across flats)."""

GRID_COLUMNS = ["grid_id", "name", "parent", "commissioner", "phone", "source", "geometry"]
"""Columns of :func:`official_or_generated`'s result."""

SLIVER_SHARE = 1e-6
"""Clipped pieces smaller than this share of a full cell (reprojection round-off on a
boundary that runs along a cell edge) are dropped by :func:`generate_grid`."""

_SQRT3 = math.sqrt(3.0)
_EXACT_CELLS = 2**52
"""Above this many cells (or cell numbers) a window is only estimated: it is refused anyway, and
its integer cell numbers would not fit in int64."""
# Pointy-topped hexagon vertices (counter-clockwise from the top) in lattice units:
# x in half-widths (cell_m / 2), y in half-sides (cell_m / (2·√3)).  Neighbouring
# hexes compute a shared vertex from the same integers, so they share it exactly.
_HEX_VX = np.array([0, -1, -1, 0, 1, 1, 0])
_HEX_VY = np.array([2, 1, -1, -2, -1, 1, 2])


# --------------------------------------------------------------------------- checks


def _check_cell(cell_m: float) -> float:
    value = float(cell_m)
    if not math.isfinite(value) or value <= 0:
        msg = f"网格大小 cell_m 应为正数（米），而不是 {cell_m!r}"
        raise EngineInputError(msg)
    return value


def _check_shape(shape: str) -> None:
    if shape not in SHAPES:
        msg = f"网格形状 shape 为 {shape!r}，应为 {sorted(SHAPES)} 之一"
        raise EngineInputError(msg)


def _size_label(cell_m: float) -> str:
    """``1000.0`` → ``'1000'``, ``250.5`` → ``'250.5'`` (no exponent, no rounding)."""
    return np.format_float_positional(cell_m, trim="-")


# --------------------------------------------------------------------------- binning


def _floor_index(v: np.ndarray, step: float) -> np.ndarray:
    """``k`` with ``k·step <= v < (k+1)·step``, exactly as the cell edges are computed."""
    k = np.floor(v / step)
    k = np.where(v < k * step, k - 1, k)
    k = np.where(v >= (k + 1) * step, k + 1, k)
    return k.astype(np.int64)


def _hex_axial(x: np.ndarray, y: np.ndarray, cell_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Axial (q, r) of the pointy-topped hex of width ``cell_m`` holding each point (cube rounding)."""
    rf = y / (cell_m * _SQRT3 / 2.0)
    qf = x / cell_m - rf / 2.0
    sf = -qf - rf
    q, r, s = np.round(qf), np.round(rf), np.round(sf)
    dq, dr, ds = np.abs(q - qf), np.abs(r - rf), np.abs(s - sf)
    fix_q = (dq > dr) & (dq > ds)
    fix_r = ~fix_q & (dr > ds)
    q = np.where(fix_q, -r - s, q)
    r = np.where(fix_r, -q - s, r)
    return q.astype(np.int64), r.astype(np.int64)


def _as_float(values: object, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype="float64")
    if arr.ndim != 1:
        msg = f"`{name}` should be a 1-d array of coordinates, got shape {arr.shape}"
        raise ValueError(msg)
    return arr


def cell_index(x: np.ndarray, y: np.ndarray, cell_m: float,
               shape: GridShape = "square") -> tuple[np.ndarray, np.ndarray]:
    """Integer cell coordinates of points, by arithmetic.

    Parameters
    ----------
    x, y
        Point coordinates in the metric CRS (metres); must be finite (use
        :meth:`RegularGrid.codes` for data with unlocated rows).
    cell_m
        Cell size in metres (square side, or hex width across flats).
    shape
        ``"square"`` or ``"hex"``.

    Returns
    -------
    a, b : numpy.ndarray of int64
        ``(col, row)`` for squares, axial ``(q, r)`` for hexes: the numbers in
        the ids of :func:`generate_grid`.

    Examples
    --------
    >>> col, row = cell_index(np.array([2499.0, -1.0]), np.array([0.0, 999.9]), 1000)
    >>> col.tolist(), row.tolist()
    ([2, -1], [0, 0])
    """
    cell_m = _check_cell(cell_m)
    _check_shape(shape)
    xa, ya = _as_float(x, "x"), _as_float(y, "y")
    if not (np.isfinite(xa).all() and np.isfinite(ya).all()):
        msg = "`x`/`y` hold NaN or infinite values; use RegularGrid.codes, which gives -1 for them"
        raise ValueError(msg)
    if shape == "square":
        return _floor_index(xa, cell_m), _floor_index(ya, cell_m)
    return _hex_axial(xa, ya, cell_m)


def format_ids(a: np.ndarray, b: np.ndarray, cell_m: float, shape: GridShape = "square") -> np.ndarray:
    """Grid ids (``S1000-3-7``, ``H500-2-m4``) of integer cell coordinates from :func:`cell_index`.

    A negative coordinate is written with ``m`` (``-4`` → ``m4``), so an id never
    holds a double hyphen that reads like a typo.
    """
    _check_shape(shape)
    prefix = ("S" if shape == "square" else "H") + _size_label(_check_cell(cell_m))

    def part(v: int) -> str:
        return f"m{-v}" if v < 0 else str(v)

    return np.array([f"{prefix}-{part(i)}-{part(j)}" for i, j in zip(np.asarray(a).tolist(),
                                                                      np.asarray(b).tolist(), strict=True)],
                    dtype=object)


def cell_ids(x: np.ndarray, y: np.ndarray, cell_m: float, shape: GridShape = "square") -> np.ndarray:
    """Grid id of the cell holding each point (the id :func:`generate_grid` gives that cell).

    Examples
    --------
    >>> cell_ids(np.array([2499.0]), np.array([10.0]), 1000).tolist()
    ['S1000-2-0']
    """
    a, b = cell_index(x, y, cell_m, shape)
    return format_ids(a, b, cell_m, shape)


@dataclass(frozen=True)
class RegularGrid:
    """A finite window of the regular grid: dense integer codes for ``np.bincount``.

    Cells are numbered ``code = (row - row0) * ncols + (col - col0)``.  For
    hexes ``col`` is the offset column ``q + floor(r / 2)`` (odd rows shifted
    half a cell east), so the window is a rectangle of codes too.

    Attributes
    ----------
    cell_m
        Cell size in metres.
    shape
        ``"square"`` or ``"hex"``.
    col0, row0, ncols, nrows
        The window: first column/row and how many.

    Examples
    --------
    >>> grid = RegularGrid.covering((0, 0, 2500, 1000), 1000)
    >>> codes = grid.codes(np.array([10.0, 2400.0, np.nan]), np.array([10.0, 10.0, 5.0]))
    >>> codes.tolist()
    [0, 2, -1]
    >>> np.bincount(codes[codes >= 0], minlength=grid.size).tolist()
    [1, 0, 1, 0, 0, 0]
    >>> grid.grid_ids(codes).tolist()
    ['S1000-0-0', 'S1000-2-0', None]
    """

    cell_m: float
    shape: GridShape
    col0: int
    row0: int
    ncols: int
    nrows: int

    @classmethod
    def covering(cls, bounds: tuple[float, float, float, float], cell_m: float,
                 shape: GridShape = "square") -> RegularGrid:
        """The smallest window whose cells hold every point of ``bounds`` (minx, miny, maxx, maxy)."""
        cell_m = _check_cell(cell_m)
        _check_shape(shape)
        minx, miny, maxx, maxy = (float(v) for v in bounds)
        if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)) or minx > maxx or miny > maxy:
            msg = f"`bounds` should be finite (minx, miny, maxx, maxy), got {bounds!r}"
            raise ValueError(msg)
        if shape == "square":
            c0, c1 = _floor_index(np.array([minx, maxx]), cell_m)
            r0, r1 = _floor_index(np.array([miny, maxy]), cell_m)
        else:
            side = cell_m / _SQRT3
            pitch = 1.5 * side
            r0, r1 = math.floor((miny - side) / pitch), math.ceil((maxy + side) / pitch)
            c0, c1 = math.floor(minx / cell_m) - 1, math.ceil(maxx / cell_m) + 1
        return cls(cell_m, shape, int(c0), int(r0), int(c1 - c0 + 1), int(r1 - r0 + 1))

    @property
    def size(self) -> int:
        """Number of codes (``minlength`` for ``np.bincount``)."""
        return self.ncols * self.nrows

    def codes(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Code of the cell holding each point; -1 for NaN coordinates or outside the window."""
        xa, ya = _as_float(x, "x"), _as_float(y, "y")
        ok = np.isfinite(xa) & np.isfinite(ya)
        out = np.full(xa.shape, -1, dtype=np.int64)
        if not ok.any():
            return out
        a, b = cell_index(xa[ok], ya[ok], self.cell_m, self.shape)
        col = a if self.shape == "square" else a + np.floor_divide(b, 2)
        col, row = col - self.col0, b - self.row0
        inside = (col >= 0) & (col < self.ncols) & (row >= 0) & (row < self.nrows)
        out[np.flatnonzero(ok)[inside]] = row[inside] * self.ncols + col[inside]
        return out

    def cell_coords(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The integer pair in the ids of ``codes`` (all >= 0): ``(col, row)``, or axial ``(q, r)`` for hexes."""
        codes = np.asarray(codes, dtype=np.int64)
        row = codes // self.ncols + self.row0
        col = codes % self.ncols + self.col0
        if self.shape == "square":
            return col, row
        return col - np.floor_divide(row, 2), row

    def grid_ids(self, codes: np.ndarray) -> np.ndarray:
        """Grid id of each code; ``None`` where the code is -1."""
        codes = np.asarray(codes, dtype=np.int64)
        out = np.full(codes.shape, None, dtype=object)
        ok = codes >= 0
        a, b = self.cell_coords(codes[ok])
        out[ok] = format_ids(a, b, self.cell_m, self.shape)
        return out

    def polygons(self, codes: np.ndarray | None = None) -> np.ndarray:
        """Full (unclipped) cell polygons of ``codes`` (default: every cell of the window)."""
        codes = np.arange(self.size) if codes is None else np.asarray(codes, dtype=np.int64)
        a, b = self.cell_coords(codes)
        s = self.cell_m
        if self.shape == "square":
            return np.asarray(shapely.box(a * s, b * s, (a + 1) * s, (b + 1) * s), dtype=object)
        cx = 2 * a + b  # centre in half-widths: 2q + r
        cy = 3 * b  # centre in half-sides
        vx = (cx[:, None] + _HEX_VX[None, :]) * (s / 2.0)
        vy = (cy[:, None] + _HEX_VY[None, :]) * (s / (2.0 * _SQRT3))
        return np.asarray(shapely.polygons(np.stack([vx, vy], axis=-1)), dtype=object)


# --------------------------------------------------------------------------- counting before generating


Bounds = tuple[float, float, float, float]
"""(minx, miny, maxx, maxy) in metres."""


def _window_cells(bounds: Bounds, cell_m: float, shape: GridShape) -> int:
    """Cells of the :class:`RegularGrid` window over ``bounds``; an upper estimate when absurdly many."""
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    rough = ((maxx - minx) / cell_m + 6.0) * ((maxy - miny) / cell_m * 2.0 / _SQRT3 + 6.0)  # ≥ the window
    far = max(abs(minx), abs(maxx), abs(miny), abs(maxy)) / cell_m
    if not rough <= _EXACT_CELLS or not far <= _EXACT_CELLS:
        return max(int(min(rough, 1e30)), _EXACT_CELLS)
    return RegularGrid.covering(bounds, cell_m, shape).size


def cell_count_text(count: int) -> str:
    """`` 1,234 个`` — or ``超过 4,503,599,627,370,496 个`` for a count only estimated (a size far too small).

    Examples
    --------
    >>> cell_count_text(1234), cell_count_text(10**30)
    (' 1,234 个', '超过 4,503,599,627,370,496 个')
    """
    return f" {count:,} 个" if count < _EXACT_CELLS else f"超过 {_EXACT_CELLS:,} 个"


def generated_cell_count(extents: list[Bounds], cell_m: float, shape: GridShape = "square") -> int:
    """Cells laid out to generate a grid over ``extents``: the window of the regular grid over each.

    That is what :func:`generate_grid` allocates before clipping, so it bounds
    the memory a generated grid takes; it is computed by arithmetic, nothing
    is allocated.

    Examples
    --------
    >>> generated_cell_count([(0, 0, 2500, 1000), (0, 0, 999, 999)], 1000, "square")
    7
    """
    cell_m = _check_cell(cell_m)
    _check_shape(shape)
    return sum(_window_cells(b, cell_m, shape) for b in extents)


def _smallest_fitting(extents: list[Bounds], cell_m: float, shape: GridShape, count: int, max_cells: int) -> float:
    """The smallest whole-metre cell size whose grid over ``extents`` has at most ``max_cells`` cells."""
    def fits(size: float) -> bool:
        return generated_cell_count(extents, size, shape) <= max_cells

    low = 0.0  # known not to fit (or not a size)
    high = float(max(1, math.ceil(cell_m * math.sqrt(count / max_cells))))
    while not fits(high):
        low, high = high, float(math.ceil(high * 1.1))
    while high - low > 1:
        mid = float(math.floor((low + high) / 2))
        low, high = (low, mid) if fits(mid) else (mid, high)
    return high


def check_generated_cells(extents: list[Bounds], cell_m: float, shape: GridShape = "square",
                          max_cells: int = DEFAULT_MAX_GENERATED_CELLS, areas: str = "区域") -> int:
    """Refuse to generate more than ``max_cells`` cells over ``extents``, naming the smallest cell size that fits.

    Parameters
    ----------
    extents
        Bounds (minx, miny, maxx, maxy) of each area cells are generated over, in metres.
    cell_m, shape
        Size and shape of the cells (see :func:`generate_grid`).
    max_cells
        The most cells allowed.
    areas
        What the cells cover, in Chinese (镇街, 园区), for the message.

    Returns
    -------
    int
        The cells that will be laid out (:func:`generated_cell_count`).

    Raises
    ------
    loaders.errors.GeneratedGridTooLargeError
        More than ``max_cells`` cells; the error carries the figures (``cell_m``,
        ``cells``, ``limit``, ``fit_m``, ``areas``) so each interface words the fix.

    Examples
    --------
    >>> check_generated_cells([(0, 0, 9999, 9999)], 1000, max_cells=100)
    100
    >>> try:
    ...     check_generated_cells([(0, 0, 9999, 9999)], 500, max_cells=100)
    ... except GeneratedGridTooLargeError as exc:
    ...     print(exc.cells, exc.fit_m)
    400 1000.0
    """
    if isinstance(max_cells, bool) or not isinstance(max_cells, int) or max_cells < 1:
        msg = f"网格个数上限 max_cells 应为正整数，而不是 {max_cells!r}"
        raise EngineInputError(msg)
    count = generated_cell_count(extents, cell_m, shape)
    if count <= max_cells:
        return count
    fit = _smallest_fitting(extents, float(cell_m), shape, count, max_cells)
    msg = (f"按 {float(cell_m):g} 米的边长在{areas}上生成网格需要{cell_count_text(count)}网格，"
           f"超过上限 {max_cells:,} 个；"
           f"请把网格边长设为 {fit:g} 米或更大、在 ipgrid.toml 的 [settings] max_generated_cells 中提高上限，"
           "或在数据文件夹中提供网格图层")
    raise GeneratedGridTooLargeError(msg, cell_m=float(cell_m), cells=count, limit=max_cells, fit_m=fit, areas=areas)


# --------------------------------------------------------------------------- generation


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygonal parts of overlay results (drop touching lines and points)."""
    out = geoms.copy()
    kinds = shapely.get_type_id(geoms)
    mixed = np.flatnonzero(kinds == 7)  # GeometryCollection
    for i in mixed:
        parts = [p for p in shapely.get_parts(geoms[i]) if p.geom_type in ("Polygon", "MultiPolygon")]
        parts = [q for p in parts for q in shapely.get_parts(p)]
        out[i] = (parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)) if parts else shapely.Polygon()
    lines = ~np.isin(kinds, (3, 6, 7))  # neither Polygon, MultiPolygon nor collection
    out[lines] = shapely.Polygon()
    return out


def generate_grid(area: shapely.Polygon | shapely.MultiPolygon, cell_m: float,
                  shape: GridShape = "square", *, crs: str = DEFAULT_METRIC_CRS,
                  max_cells: int = DEFAULT_MAX_GENERATED_CELLS) -> gpd.GeoDataFrame:
    """Regular cells covering ``area``, clipped to it, with position-derived ids.

    Parameters
    ----------
    area
        Polygon or MultiPolygon in the metric CRS ``crs`` (metres).
    cell_m
        Square side, or hex width across flats (distance between opposite
        edges), in metres.
    shape
        ``"square"`` or ``"hex"`` (pointy-topped).
    crs
        The metric CRS ``area`` is in; labels the result.  Default
        EPSG:4549, the default of :attr:`loaders.config.FolderConfig.metric_crs`.
    max_cells
        The most cells laid out before clipping (:func:`check_generated_cells`).

    Returns
    -------
    geopandas.GeoDataFrame
        In ``crs``, one row per cell with a positive area inside ``area``
        (pieces under :data:`SLIVER_SHARE` of a cell dropped), in
        (row, column) order: ``grid_id``, ``geometry`` (clipped; a cell cut
        into pieces is one MultiPolygon), ``area_m2``, ``clipped`` (the
        boundary cuts the cell).

    Raises
    ------
    ValueError
        ``area`` is not a valid, non-empty (Multi)Polygon, or ``cell_m`` /
        ``shape`` is out of range.
    loaders.errors.GeneratedGridTooLargeError
        More than ``max_cells`` cells, refused before any is allocated.

    Examples
    --------
    >>> cells = generate_grid(shapely.box(0, 0, 2500, 1000), 1000)
    >>> cells[["grid_id", "area_m2", "clipped"]].values.tolist()
    [['S1000-0-0', 1000000.0, False], ['S1000-1-0', 1000000.0, False], ['S1000-2-0', 500000.0, True]]
    """
    cell_m = _check_cell(cell_m)
    _check_shape(shape)
    if not isinstance(area, shapely.Polygon | shapely.MultiPolygon):
        msg = f"`area` should be a shapely Polygon or MultiPolygon, got {type(area).__name__}"
        raise ValueError(msg)
    if area.is_empty:
        msg = "`area` is empty: no cells to generate"
        raise ValueError(msg)
    if not area.is_valid:
        msg = f"`area` is not a valid polygon ({shapely.is_valid_reason(area)}); repair it with shapely.make_valid"
        raise ValueError(msg)

    check_generated_cells([area.bounds], cell_m, shape, max_cells)
    grid = RegularGrid.covering(area.bounds, cell_m, shape)
    codes = np.arange(grid.size, dtype=np.int64)
    cells = grid.polygons(codes)
    shapely.prepare(area)
    hit = shapely.intersects(area, cells)
    codes, cells = codes[hit], cells[hit]
    inside = shapely.contains(area, cells)
    geoms = cells.copy()
    cut = np.flatnonzero(~inside)
    if len(cut):
        geoms[cut] = _polygonal(shapely.intersection(cells[cut], area))
    area_m2 = shapely.area(geoms)
    keep = area_m2 > SLIVER_SHARE * shapely.area(cells)
    return gpd.GeoDataFrame(
        {"grid_id": grid.grid_ids(codes[keep]), "area_m2": area_m2[keep], "clipped": ~inside[keep]},
        geometry=geoms[keep], crs=crs,
    )[["grid_id", "geometry", "area_m2", "clipped"]].reset_index(drop=True)


# --------------------------------------------------------------------------- official or generated


def _check_metric_crs(metric_crs: str) -> None:
    if not pyproj.CRS.from_user_input(metric_crs).is_projected:
        msg = f"计算坐标系 metric_crs 应为投影坐标系（单位：米），而 {metric_crs} 不是；例如 EPSG:4549"
        raise ConfigError(msg)


def _text_or_na(series: pd.Series) -> pd.Series:
    """Strip text; empty and missing values become ``pd.NA``."""
    out = series.astype(object).map(lambda v: str(v).strip() if not pd.isna(v) else "")
    return out.where(out != "", pd.NA)


def _cover_shapes(metric: gpd.GeoDataFrame) -> list[tuple[object, shapely.Polygon | shapely.MultiPolygon]]:
    """(name, polygonal geometry) of each area cells are generated over; empty and non-polygonal ones left out."""
    shapes = []
    for name, geom in zip(metric["name"], metric.geometry.values, strict=True):
        if geom is None or geom.is_empty:
            continue
        geom = shapely.make_valid(geom) if not geom.is_valid else geom  # reprojection can nick a ring
        if not isinstance(geom, shapely.Polygon | shapely.MultiPolygon):
            geom = _polygonal(np.array([geom], dtype=object))[0]
            if geom.is_empty:
                continue
        shapes.append((name, geom))
    return shapes


def official_or_generated(grids: gpd.GeoDataFrame | None, areas: gpd.GeoDataFrame, cell_m: float = DEFAULT_CELL_M,
                          shape: GridShape = "square", metric_crs: str = DEFAULT_METRIC_CRS, *,
                          max_cells: int = DEFAULT_MAX_GENERATED_CELLS, areas_label: str = "区域") -> gpd.GeoDataFrame:
    """The management grid: official cells when there are any, else cells generated over ``areas``.

    Parameters
    ----------
    grids
        Canonical grids layer (official cell polygons), or ``None``.  When
        it has rows it is returned as is (reprojected to EPSG:4326 on a copy).
    areas
        Areas to generate cells over (parks, or towns), with a ``name``
        column; any CRS, declared.  Used only without official cells.
    cell_m, shape
        Size and shape of generated cells (see :func:`generate_grid`).
    metric_crs
        Projected CRS in which cells are generated.
    max_cells
        The most cells laid out over all ``areas`` together (before clipping).
    areas_label
        What ``areas`` are, in Chinese (镇街, 园区), for the message of a grid too fine.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, columns :data:`GRID_COLUMNS`.  Generated cells have
        ``parent`` = the area's name, no name, commissioner or phone, and
        ``source`` = ``"generated"``.  Each area gets its own cells: a cell
        split between several areas becomes one cell per area, and those
        pieces' ids get ``@<area name>`` appended (``S1000-3-7@甲园区``) so
        ids stay unique.

    Raises
    ------
    ValueError
        A layer has no CRS, or ``metric_crs`` is not projected.
    loaders.errors.GeneratedGridTooLargeError
        Generated cells would be more than ``max_cells``: refused before any is allocated.
    """
    if grids is not None and len(grids) > 0:
        if grids.crs is None:
            msg = "网格图层没有坐标系（crs），无法使用；请先为其声明坐标系"
            raise LayerCrsError(msg)
        out = grids.to_crs(STORAGE_CRS)  # a copy, also when the CRS is the same
        for column in ("name", "parent", "commissioner", "phone"):
            out[column] = _text_or_na(out[column]) if column in out else pd.Series(pd.NA, index=out.index,
                                                                                      dtype=object)
        out["grid_id"] = out["grid_id"].astype(object).map(lambda v: str(v).strip())
        out["source"] = "official"
        return gpd.GeoDataFrame(out[GRID_COLUMNS].reset_index(drop=True), geometry="geometry", crs=STORAGE_CRS)

    _check_metric_crs(metric_crs)
    if areas.crs is None:
        msg = "用于生成网格的区域图层没有坐标系（crs），无法生成网格"
        raise LayerCrsError(msg)
    shapes = _cover_shapes(areas.to_crs(metric_crs))
    check_generated_cells([geom.bounds for _, geom in shapes], cell_m, shape, max_cells, areas_label)
    pieces = []
    for name, geom in shapes:
        cells = generate_grid(geom, cell_m, shape, crs=metric_crs, max_cells=max_cells)
        cells["parent"] = name
        pieces.append(cells)
    if not pieces:
        empty = gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in GRID_COLUMNS[:-1]},
                                 geometry=gpd.GeoSeries([], crs=STORAGE_CRS), crs=STORAGE_CRS)
        return empty[GRID_COLUMNS]
    cells = pd.concat(pieces, ignore_index=True)
    shared = cells["grid_id"].duplicated(keep=False)
    cells.loc[shared, "grid_id"] = cells.loc[shared, "grid_id"] + "@" + cells.loc[shared, "parent"].astype(str)
    cells["name"] = pd.NA
    cells["commissioner"] = pd.NA
    cells["phone"] = pd.NA
    cells["source"] = "generated"
    cells = gpd.GeoDataFrame(cells, geometry="geometry", crs=metric_crs).to_crs(STORAGE_CRS)
    return cells[GRID_COLUMNS]


# --------------------------------------------------------------------------- commissioners

_ID_SEPARATORS = re.compile(r"[、，,;；\s]+")

ASSIGNMENT_COLUMNS = ["commissioner", "phone", "grid_id", "source"]


def split_grid_ids(text: object) -> list[str]:
    """Cell ids listed in one cell of the commissioners layer.

    Examples
    --------
    >>> split_grid_ids("GX-001、GX-002，GX-003; GX-004　GX-005")
    ['GX-001', 'GX-002', 'GX-003', 'GX-004', 'GX-005']
    """
    if is_missing(text):
        return []
    return [p for p in _ID_SEPARATORS.split(unicodedata.normalize("NFKC", str(text)).strip()) if p]


def _id_key(value: object) -> str:
    return unicodedata.normalize("NFKC", str(value)).strip()


@dataclass(frozen=True)
class CommissionerReport:
    """Who looks after which cell, and the gaps.

    Attributes
    ----------
    assignments
        Long table, one row per (commissioner, cell): ``commissioner``,
        ``phone``, ``grid_id`` (as spelt in the cells), ``source`` (see
        ``grids`` (the grid layer names the commissioner), ``commissioners`` (the
        commissioners layer lists the cell) or ``both``).
    unassigned_cells
        Cells nobody looks after: ``grid_id``, ``name``, ``parent``.
    idle_commissioners
        Commissioners of the commissioners layer with no cell: ``name``, ``phone``, ``area``.
    unknown_cells
        Ids listed in the commissioners layer that are not cells:
        ``commissioner``, ``phone``, ``grid_id`` (as listed).
    """

    assignments: pd.DataFrame
    unassigned_cells: pd.DataFrame
    idle_commissioners: pd.DataFrame
    unknown_cells: pd.DataFrame

    @property
    def contested_cells(self) -> pd.DataFrame:
        """Assignments of cells that have more than one commissioner."""
        dup = self.assignments["grid_id"].duplicated(keep=False)
        return self.assignments[dup].sort_values(["grid_id", "commissioner"]).reset_index(drop=True)


def join_commissioners(cells: pd.DataFrame, commissioners: pd.DataFrame | None = None) -> CommissionerReport:
    """Join cells' own commissioner columns with the optional commissioners layer.

    Parameters
    ----------
    cells
        Grid cells with ``grid_id`` and optionally ``commissioner``, ``phone``,
        ``name``, ``parent`` (e.g. :func:`official_or_generated`).
    commissioners
        Canonical commissioners layer (``name``, ``phone``, ``area``,
        ``grid_ids``: ids separated by 、，,;； or spaces), or ``None``.

    Returns
    -------
    CommissionerReport
        Ids are matched after NFKC folding and trimming (``Ｇ01`` = ``G01``).
        A phone missing on a cell is taken from the commissioners layer
        when that name has one there.
    """
    if "grid_id" not in cells:
        msg = f"`cells` should have a grid_id column, got {list(cells.columns)}"
        raise ValueError(msg)
    n = len(cells)
    ids = cells["grid_id"].astype(object).to_numpy()
    keys = [_id_key(v) for v in ids]
    key_to_id = dict(zip(keys, ids, strict=True))

    def column(frame: pd.DataFrame, name: str, length: int) -> pd.Series:
        if name in frame:
            return _text_or_na(frame[name]).reset_index(drop=True)
        return pd.Series([pd.NA] * length, dtype=object)

    rows: list[dict[str, object]] = []
    cell_comm = column(cells, "commissioner", n)
    cell_phone = column(cells, "phone", n)
    for key, who, phone in zip(keys, cell_comm, cell_phone, strict=True):
        if not pd.isna(who):
            rows.append({"commissioner": who, "phone": phone, "key": key, "source": "grids"})

    unknown: list[dict[str, object]] = []
    people = pd.DataFrame(columns=["name", "phone", "area"])
    if commissioners is not None and len(commissioners) > 0:
        m = len(commissioners)
        people = pd.DataFrame({"name": column(commissioners, "name", m), "phone": column(commissioners, "phone", m),
                               "area": column(commissioners, "area", m)})
        listed = column(commissioners, "grid_ids", m)
        for who, phone, text in zip(people["name"], people["phone"], listed, strict=True):
            if pd.isna(who):
                continue
            for gid in split_grid_ids(text):
                if gid in key_to_id:
                    rows.append({"commissioner": who, "phone": phone, "key": gid, "source": "commissioners"})
                else:
                    unknown.append({"commissioner": who, "phone": phone, "grid_id": gid})

    long = pd.DataFrame(rows, columns=["commissioner", "phone", "key", "source"])
    if len(long):
        agg = long.groupby(["commissioner", "key"], sort=False).agg(
            phone=("phone", "first"), source=("source", lambda s: s.iat[0] if s.nunique() == 1 else "both"))
        long = agg.reset_index()
        phones = people.dropna(subset=["name", "phone"]).drop_duplicates("name").set_index("name")["phone"]
        long["phone"] = long["phone"].where(long["phone"].notna(), long["commissioner"].map(phones))
        long["grid_id"] = long["key"].map(key_to_id)
    else:
        long["grid_id"] = pd.Series(dtype=object)
    assignments = long[ASSIGNMENT_COLUMNS].reset_index(drop=True)

    assigned = set(long["key"])
    gap = np.array([k not in assigned for k in keys], dtype=bool)
    unassigned = pd.DataFrame({"grid_id": ids[gap], "name": column(cells, "name", n)[gap].to_numpy(),
                               "parent": column(cells, "parent", n)[gap].to_numpy()})
    busy = set(long["commissioner"])
    idle = people[people["name"].notna() & ~people["name"].isin(list(busy))].reset_index(drop=True)
    return CommissionerReport(
        assignments=assignments,
        unassigned_cells=unassigned,
        idle_commissioners=idle[["name", "phone", "area"]],
        unknown_cells=pd.DataFrame(unknown, columns=["commissioner", "phone", "grid_id"]),
    )
