"""Shapely geometries → matplotlib collections, drawn straight onto an axes.

geopandas' ``plot`` redraws the whole canvas after every call (``draw_idle``
on a canvas without an event loop draws at once), which made an atlas page
cost seconds; building the collections here is cheap and draws once, at save
time.  Polygons keep their holes (rings oriented for the non-zero rule); lines take any linear
geometry or polygon boundary.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.path import Path
from shapely.geometry.base import BaseGeometry


def _ring_codes(n: int) -> np.ndarray:
    codes = np.full(n, Path.LINETO, dtype=Path.code_type)
    codes[0] = Path.MOVETO
    codes[-1] = Path.CLOSEPOLY
    return codes


def polygon_path(geom: BaseGeometry) -> Path | None:
    """One compound path of a (multi)polygon with its holes; ``None`` when empty or not areal."""
    if geom is None or geom.is_empty:
        return None
    verts, codes = [], []
    geom = shapely.orient_polygons(geom)  # exterior counter-clockwise, holes clockwise: holes stay empty
    for part in shapely.get_parts(geom):
        if part.geom_type != "Polygon":
            continue
        for ring in (part.exterior, *part.interiors):
            xy = np.asarray(ring.coords)[:, :2]
            if len(xy) < 4:
                continue
            verts.append(xy)
            codes.append(_ring_codes(len(xy)))
    if not verts:
        return None
    return Path(np.concatenate(verts), np.concatenate(codes))


def _as_list(value: object, n: int) -> list:
    if isinstance(value, str) or not isinstance(value, Sequence | np.ndarray):
        return [value] * n
    return list(value)


def polygons(ax: Axes, geoms: Iterable[BaseGeometry], facecolor: object = "none", edgecolor: object = "none",
             linewidth: float = 0.5, zorder: float = 1, alpha: float | None = None) -> PathCollection | None:
    """Fill and outline polygons; ``facecolor``/``edgecolor`` may be one colour or one per geometry."""
    geoms = list(geoms)
    faces, edges = _as_list(facecolor, len(geoms)), _as_list(edgecolor, len(geoms))
    paths, keep_f, keep_e = [], [], []
    for geom, f, e in zip(geoms, faces, edges, strict=True):
        path = polygon_path(geom)
        if path is not None:
            paths.append(path)
            keep_f.append(f)
            keep_e.append(e)
    if not paths:
        return None
    coll = PathCollection(paths, facecolors=keep_f, edgecolors=keep_e, linewidths=linewidth, zorder=zorder,
                          alpha=alpha, transform=ax.transData)
    coll.set_sizes(None)
    ax.add_collection(coll, autolim=False)
    return coll


def lines(ax: Axes, geoms: Iterable[BaseGeometry], color: str, linewidth: float = 0.5, zorder: float = 1,
          linestyle: object = "solid") -> LineCollection | None:
    """Draw lines: linestrings as they are, polygons by their boundaries."""
    segments = []
    for geom in geoms:
        if geom is None or geom.is_empty:
            continue
        if geom.geom_type in ("Polygon", "MultiPolygon"):
            geom = geom.boundary
        for part in shapely.get_parts(geom):
            if part.geom_type in ("LineString", "LinearRing"):
                segments.append(np.asarray(part.coords)[:, :2])
    if not segments:
        return None
    coll = LineCollection(segments, colors=color, linewidths=linewidth, zorder=zorder, linestyles=linestyle,
                          transform=ax.transData)
    ax.add_collection(coll, autolim=False)
    return coll
