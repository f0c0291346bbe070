"""Geometry checks at the door: type, validity, CRS to storage, and the towns' tiling.

Invalid polygons (self-intersections from hand digitising) are repaired with
``shapely.make_valid`` and reported; overlaps and gaps between towns larger
than the folder's tolerance are reported with their area in m², measured in
the metric CRS.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from loaders import crs as crs_mod
from loaders.problems import ProblemLog
from loaders.schema import STORAGE_CRS

_POLYGONAL = {"Polygon", "MultiPolygon"}


def reproject(geoms: gpd.GeoSeries, token: str) -> gpd.GeoSeries:
    """Geometry in ``token`` (EPSG code, WKT, GCJ-02 or BD-09) to EPSG:4326."""
    if token in ("GCJ-02", "BD-09"):
        def fn(xy: np.ndarray) -> np.ndarray:
            lon, lat = crs_mod.to_wgs84(xy[:, 0], xy[:, 1], token)
            return np.column_stack([lon, lat])

        return gpd.GeoSeries(shapely.transform(geoms.values, fn), crs=STORAGE_CRS)
    out = gpd.GeoSeries(geoms.values, crs=token).to_crs(STORAGE_CRS)
    return gpd.GeoSeries(out.values, crs=STORAGE_CRS)


def polygons_only(
    geoms: gpd.GeoSeries,
    rows: np.ndarray,
    log: ProblemLog,
    layer: str,
    file: str,
    may_be_empty: np.ndarray | None = None,
) -> tuple[gpd.GeoSeries, np.ndarray]:
    """Drop Z, reject empty or non-polygon features, repair invalid polygons.

    Returns the repaired geometry and the mask of accepted rows; every
    rejection and repair is reported, except a missing geometry on rows
    flagged in ``may_be_empty`` (their area comes from elsewhere, e.g. a GI's
    town list), which are returned as not accepted for the caller to resolve.
    """
    values = shapely.force_2d(geoms.values)
    accepted = np.ones(len(values), dtype=bool)
    for i, g in enumerate(values):
        if g is None or shapely.is_empty(g):
            if may_be_empty is None or not may_be_empty[i]:
                log.add("empty_geometry", layer=layer, file=file, row=rows[i])
            accepted[i] = False
        elif g.geom_type not in _POLYGONAL and g.geom_type != "GeometryCollection":
            log.add("wrong_geometry", layer=layer, file=file, row=rows[i],
                    value=g.geom_type, expected="面（Polygon）")
            accepted[i] = False
    invalid = accepted & ~shapely.is_valid(values)
    for i in np.flatnonzero(invalid).tolist():
        reason = shapely.is_valid_reason(values[i])
        log.add("invalid_geometry", layer=layer, file=file, row=rows[i], detail=reason)
        values[i] = _polygonal_part(shapely.make_valid(values[i]))
    for i in np.flatnonzero(accepted).tolist():
        if values[i].geom_type == "GeometryCollection":
            values[i] = _polygonal_part(values[i])
        if values[i] is None or values[i].is_empty:
            log.add("empty_geometry", layer=layer, file=file, row=rows[i])
            accepted[i] = False
    return gpd.GeoSeries(values, crs=geoms.crs), accepted


def _polygonal_part(g: BaseGeometry) -> BaseGeometry | None:
    """The polygons of a geometry (make_valid may add stray lines or points)."""
    if g.geom_type in _POLYGONAL:
        return g
    parts = [p for p in shapely.get_parts(g) if p.geom_type in _POLYGONAL]
    if not parts:
        return None
    return shapely.union_all(parts)


def report_town_tiling(
    towns: gpd.GeoDataFrame, metric_crs: str, tolerance_m2: float, log: ProblemLog, file: str
) -> None:
    """Report overlaps between towns and gaps inside the district above ``tolerance_m2``.

    A gap is a hole enclosed by the towns' union; separate parts (an island in
    the river) are not gaps.

    ``towns`` is in EPSG:4326 with ``name`` and ``source_row``; areas are
    measured in ``metric_crs``.
    """
    metric = towns.geometry.to_crs(metric_crs).values
    names = towns["name"].to_numpy()
    rows = towns["source_row"].to_numpy()
    tree = shapely.STRtree(metric)
    left, right = tree.query(metric, predicate="intersects")
    for i, j in zip(left, right, strict=True):
        if i >= j:
            continue
        area = shapely.area(shapely.intersection(metric[i], metric[j]))
        if area > tolerance_m2:
            log.add("town_overlap", layer="towns", file=file, row=rows[i], field="geometry",
                    other=names[j], other_row=rows[j], area=area)
    union = shapely.union_all(metric)
    holes: list[shapely.Polygon] = []
    for part in shapely.get_parts(union):
        holes.extend(shapely.Polygon(ring) for ring in part.interiors)
    points = []
    for hole in holes:
        area = hole.area
        if area > tolerance_m2:
            points.append((hole.representative_point(), area))
    if points:
        xy = gpd.GeoSeries([p for p, _ in points], crs=metric_crs).to_crs(STORAGE_CRS)
        for (_, area), pt in zip(points, xy, strict=True):
            log.add("town_gap", layer="towns", file=file, field="geometry",
                    area=area, lon=pt.x, lat=pt.y)
