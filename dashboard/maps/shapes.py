"""Geometry made light for the browser: simplified with topology kept, rounded, shifted, serialised.

* :func:`simplify_areas` — towns/parks/cells simplified in metres; when the
  polygons form a coverage (no overlaps) :func:`shapely.coverage_simplify`
  keeps shared edges shared, so neighbours never gap or overlap on screen.
* :class:`Shift` — the vector layers drawn on a GCJ-02 basemap (Amap-style
  intranet mirrors) must be shifted the same way as its tiles.
* :func:`encode_polygons` — polygons as small integer arrays (fixed-point,
  each vertex a delta from the previous one): a 367 m grid cell costs about
  45 bytes instead of 160 as GeoJSON, so 10,000 cells stay under half a megabyte.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely

from dashboard.engine.catalog import COORD_DECIMALS, STORAGE_CRS
from loaders.crs import wgs84_to_gcj02

SIMPLIFY_M = 10.0
"""Tolerance of area outlines in metres: under a pixel at the zoom of a town (about 19 m/px)."""

POINT_DECIMALS = 5
"""Decimals of a degree kept for enterprise points (about 1 m)."""

AGGREGATE_DECIMALS = 4
"""Decimals kept for aggregate bubbles drawn at district zoom (about 10 m)."""

MANY_AREAS = 1500
"""From this many polygons (a fine grid) outlines keep :data:`AGGREGATE_DECIMALS`, not 5."""


def decimals_for(n_areas: int) -> int:
    """Decimals of a degree kept for a layer of ``n_areas`` polygons: 5 (1 m), or 4 (10 m) for thousands.

    Neighbours round their shared vertices the same way, so coarser rounding
    never opens gaps between them.
    """
    return AGGREGATE_DECIMALS if n_areas >= MANY_AREAS else COORD_DECIMALS


def simplify_areas(frame: gpd.GeoDataFrame, metric_crs: str, tolerance_m: float = SIMPLIFY_M,
                   decimals: int = COORD_DECIMALS) -> np.ndarray:
    """Simplified, rounded geometries of ``frame`` in EPSG:4326 (a new array, same order).

    Parameters
    ----------
    frame
        Polygons in any declared CRS.
    metric_crs
        Projected CRS in which ``tolerance_m`` is measured.
    tolerance_m
        Largest allowed shift of an outline, in metres.
    decimals
        Decimals of a degree kept.

    Returns
    -------
    numpy.ndarray
        Shapely geometries; empty or missing geometries stay as they are.
    """
    if frame.crs is None:
        msg = "areas have no CRS; set one with `set_crs()` before drawing them"
        raise ValueError(msg)
    geoms = frame.geometry.to_crs(metric_crs).to_numpy()
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    out = geoms.copy()
    if present.any() and tolerance_m > 0:
        part = geoms[present]
        try:
            coverage = len(part) > 1 and bool(shapely.coverage_is_valid(part))
        except shapely.errors.GEOSException:  # e.g. an invalid polygon: simplify one by one
            coverage = False
        if coverage:
            simplified = shapely.coverage_simplify(part, tolerance_m)
        else:
            simplified = shapely.simplify(part, tolerance_m, preserve_topology=True)
        out[present] = simplified
    lonlat = gpd.GeoSeries(out, crs=metric_crs).to_crs(STORAGE_CRS).to_numpy()
    return shapely.transform(lonlat, lambda xy: np.round(xy, decimals))


@dataclass(frozen=True)
class Shift:
    """How drawn coordinates are moved to match the basemap: ``"WGS-84"`` (none) or ``"GCJ-02"``."""

    system: str = "WGS-84"

    @property
    def active(self) -> bool:
        """Whether coordinates change."""
        return self.system == "GCJ-02"

    def lonlat(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Shift point coordinates (NaN stays NaN)."""
        lon = np.asarray(lon, dtype="float64")
        lat = np.asarray(lat, dtype="float64")
        if not self.active:
            return lon, lat
        return wgs84_to_gcj02(lon, lat)

    def geoms(self, geoms: np.ndarray, decimals: int = COORD_DECIMALS) -> np.ndarray:
        """Shift every vertex of lon/lat geometries (returns ``geoms`` itself when inactive)."""
        if not self.active:
            return geoms

        def move(xy: np.ndarray) -> np.ndarray:
            lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
            return np.round(np.column_stack([lon, lat]), decimals)

        return shapely.transform(geoms, move)


NO_SHIFT = Shift()


def bounds_of(geoms: np.ndarray) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` of lon/lat geometries, or ``None`` when there are none."""
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return None
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    if not np.all(np.isfinite([minx, miny, maxx, maxy])):
        return None
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


def encode_polygons(geoms: np.ndarray, decimals: int = COORD_DECIMALS) -> list[str]:
    """Each (multi)polygon as JSON text of integer rings: ``[[[x0,y0,dx1,dy1,…],[hole…]],[polygon 2…]]``.

    Coordinates are lon/lat times ``10**decimals``, rounded; the first
    vertex of a ring is absolute, the others are differences from the
    previous vertex; the closing vertex is left out.  Missing or empty
    geometries give ``[]``.  :class:`dashboard.maps.layers.AreaLayer` decodes it.

    Examples
    --------
    >>> encode_polygons(np.array([shapely.box(120.0, 32.0, 120.001, 32.002)]), 3)
    ['[[[120001,32000,0,2,-1,0,0,-2]]]']
    """
    geoms = np.asarray(geoms, dtype=object)
    out = ["[]"] * len(geoms)
    present = (np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms))) if len(geoms)
               else np.zeros(0, dtype=np.intp))
    if len(present) == 0:
        return out
    kind, coords, offsets = shapely.to_ragged_array(geoms[present])
    geom_off: np.ndarray
    if kind == shapely.GeometryType.POLYGON:
        ring_off, poly_off = offsets
        geom_off = np.arange(len(poly_off))
    elif kind == shapely.GeometryType.MULTIPOLYGON:
        ring_off, poly_off, geom_off = offsets
    else:
        msg = f"encode_polygons needs polygons, got geometry type {kind!r}"
        raise ValueError(msg)
    ints = np.round(coords * 10**decimals).astype(np.int64)
    rings = []
    for a, b in zip(ring_off[:-1], ring_off[1:], strict=True):
        seg = ints[a:b - 1]  # the closing vertex repeats the first
        delta = seg.copy()
        delta[1:] -= seg[:-1]
        rings.append("[" + ",".join(map(str, delta.ravel().tolist())) + "]")
    polys = ["[" + ",".join(rings[a:b]) + "]" for a, b in zip(poly_off[:-1], poly_off[1:], strict=True)]
    for pos, a, b in zip(present, geom_off[:-1], geom_off[1:], strict=True):
        out[pos] = "[" + ",".join(p for p in polys[a:b] if p != "[]") + "]"
    return out
