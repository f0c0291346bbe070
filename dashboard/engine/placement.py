"""Place every enterprise once: its town, its park(s) and its grid cell.

Boundary rule
-------------
A point belongs to an area when the area *covers* it (interior or boundary).
A point on an edge shared by two areas is covered by both; it then belongs to
the one that comes first in the layer's order (the order of the rows in the
boundary file).  So every located point has exactly one town (or 区外), and
one grid cell (or none); parks may overlap each other, so a point may be in
several parks, and each such park counts it.

Speed
-----
Point-in-polygon runs once per level through a shapely STRtree (prepared
geometries, vectorized), never once per area; regular generated grids are
binned by arithmetic instead (see :mod:`dashboard.engine.grids`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyproj
import shapely

OUTSIDE = -1
"""Code of a located point that falls in no area of the level (区外 for towns)."""
UNLOCATED = -2
"""Code of a point without usable coordinates (未定位)."""


@dataclass(frozen=True)
class Placement:
    """Where each enterprise is, as integer codes into the area layers.

    Attributes
    ----------
    town
        Town position (0..n_towns-1), :data:`OUTSIDE` or :data:`UNLOCATED`, per firm.
    grid
        Cell position, :data:`OUTSIDE` or :data:`UNLOCATED`, per firm.
    park_firm, park_index
        Pairs (firm position, park position), one per park a firm lies in.
    x, y
        Firm coordinates in the metric CRS (NaN when unlocated).
    """

    town: np.ndarray
    grid: np.ndarray
    park_firm: np.ndarray
    park_index: np.ndarray
    x: np.ndarray
    y: np.ndarray

    @property
    def located(self) -> np.ndarray:
        """Boolean mask of firms with coordinates."""
        located: np.ndarray = ~np.isnan(self.x)
        return located

    def in_park(self, n_firms: int) -> np.ndarray:
        """Boolean mask of firms that lie in at least one park."""
        mask = np.zeros(n_firms, dtype=bool)
        mask[self.park_firm] = True
        return mask


def lonlat_of(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude arrays of an array of shapely points (NaN for None/empty)."""
    lon = shapely.get_x(points)
    lat = shapely.get_y(points)
    lon = np.where(shapely.is_missing(points), np.nan, lon).astype("float64")
    lat = np.where(shapely.is_missing(points), np.nan, lat).astype("float64")
    return lon, lat


def to_metric(lon: np.ndarray, lat: np.ndarray, metric_crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS-84 lon/lat arrays to ``metric_crs`` (NaN stays NaN)."""
    transformer = _transformer(metric_crs)
    x, y = transformer.transform(lon, lat)
    return np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")


def from_metric(x: np.ndarray, y: np.ndarray, metric_crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Unproject ``metric_crs`` arrays to WGS-84 lon/lat."""
    lon, lat = _transformer(metric_crs, inverse=True).transform(x, y)
    return np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")


_TRANSFORMERS: dict[tuple[str, bool], pyproj.Transformer] = {}


def _transformer(metric_crs: str, inverse: bool = False) -> pyproj.Transformer:
    key = (metric_crs, inverse)
    if key not in _TRANSFORMERS:
        src, dst = ("EPSG:4326", metric_crs) if not inverse else (metric_crs, "EPSG:4326")
        _TRANSFORMERS[key] = pyproj.Transformer.from_crs(src, dst, always_xy=True)
    return _TRANSFORMERS[key]


def first_covering(points: np.ndarray, areas: np.ndarray) -> np.ndarray:
    """For each point, the position of the first area covering it; :data:`OUTSIDE` if none.

    Missing points give :data:`UNLOCATED`.  Areas earlier in ``areas`` win
    ties on shared edges (the boundary rule above).
    """
    result = np.full(len(points), OUTSIDE, dtype=np.int64)
    missing = shapely.is_missing(points) | shapely.is_empty(points)
    result[missing] = UNLOCATED
    if len(areas) == 0 or missing.all():
        return result
    present = np.flatnonzero(~missing)
    tree = shapely.STRtree(areas)
    # For a point, "intersects" is "covered by" (interior or boundary), and GEOS evaluates it faster.
    pt_idx, area_idx = tree.query(points[present], predicate="intersects")
    if len(pt_idx):
        # keep the smallest area position per point: sort by (point, area) and take firsts
        order = np.lexsort((area_idx, pt_idx))
        pt_sorted, area_sorted = pt_idx[order], area_idx[order]
        first = np.ones(len(pt_sorted), dtype=bool)
        first[1:] = pt_sorted[1:] != pt_sorted[:-1]
        result[present[pt_sorted[first]]] = area_sorted[first]
    return result


def first_covering_via_cells(points: np.ndarray, areas: np.ndarray, cells: np.ndarray,
                             cell_of_point: np.ndarray) -> np.ndarray:
    """:func:`first_covering` of ``areas``, shortcut through the grid cells already found.

    A cell that lies wholly inside exactly one area (its interior in no other
    area) passes that area to every point in it — the same answer point-in-
    polygon would give, edges included, because such a cell's points can be
    covered by no other area except along a shared edge, which the first-area
    rule settles by checking.  Only points in cells that cross an area
    boundary, or in no cell, are tested against the areas one by one.
    With 10,000 cells over 16 towns, about nine points in ten take the shortcut.
    """
    result = np.full(len(points), OUTSIDE, dtype=np.int64)
    missing = shapely.is_missing(points) | shapely.is_empty(points)
    result[missing] = UNLOCATED
    if len(areas) == 0 or len(cells) == 0:
        return first_covering(points, areas)
    # Each area, prepared once, against a tree of the cells (3x faster than cell-by-cell tests).
    tree = shapely.STRtree(cells)
    _, touched = tree.query(areas, predicate="intersects")
    covering, covered = tree.query(areas, predicate="covers")
    touching = np.bincount(touched, minlength=len(cells))
    # the single area that covers the cell, for cells that intersect exactly one area
    owner = np.full(len(cells), -1, dtype=np.int64)
    sole = touching[covered] == 1
    owner[covered[sole]] = covering[sole]
    has_cell = cell_of_point >= 0
    cell_owner = np.where(has_cell, owner[np.clip(cell_of_point, 0, None)], -1)
    shortcut = ~missing & (cell_owner >= 0)
    result[shortcut] = cell_owner[shortcut]
    rest = ~missing & ~shortcut
    if rest.any():
        result[rest] = first_covering(points[rest], areas)
    return result


def all_covering(points: np.ndarray, areas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (point position, area position) pair where the area covers the point."""
    if len(areas) == 0 or len(points) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    missing = shapely.is_missing(points) | shapely.is_empty(points)
    present = np.flatnonzero(~missing)
    tree = shapely.STRtree(areas)
    pt_idx, area_idx = tree.query(points[present], predicate="intersects")  # = covered_by for points
    order = np.lexsort((area_idx, pt_idx))  # by firm, then by the area's order in its file
    return present[pt_idx[order]].astype(np.int64), area_idx[order].astype(np.int64)
