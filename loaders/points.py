"""Point geometry from a table's coordinate columns.

Enterprise lists are geocoded by whoever made them: WGS-84 from a GPS, GCJ-02
from Amap or Tencent, BD-09 from Baidu, sometimes projected metres, sometimes
with longitude and latitude swapped.  The CRS comes from ``ipgrid.toml``, or a
per-row 坐标系 column, or — reported as a warning — from the numbers.
A row without usable coordinates is kept as *unmapped* (counted, not drawn).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from loaders import crs as crs_mod
from loaders.errors import ConfigError
from loaders.problems import ProblemLog
from loaders.schema import STORAGE_CRS

CHINA_LON = (70.0, 140.0)
CHINA_LAT = (0.0, 60.0)
"""Generous bounds of China's longitudes/latitudes; coordinates outside are reported."""


def points_from_columns(
    frame: pd.DataFrame,
    declared: str | None,
    metric_crs: str,
    log: ProblemLog,
    layer: str,
    file: str,
) -> tuple[gpd.GeoSeries, str, crs_mod.CrsGuess | None]:
    """Build EPSG:4326 points from ``lon``/``lat`` (and ``coord_system``) columns.

    Parameters
    ----------
    frame
        Canonical attributes with ``lon``, ``lat``, ``coord_system``, ``source_row``.
    declared
        Layer CRS token from ``ipgrid.toml`` (see :func:`loaders.crs.parse_crs`), or None.
    metric_crs
        The folder's metric CRS, used to read projected numbers without a declared CRS.

    Returns
    -------
    points
        One point per row, ``None`` where the row is unmapped.
    crs_label
        The source CRS(s) for the summary, e.g. ``"GCJ-02"``.
    guess
        How the CRS was guessed, when neither ``declared`` nor a 坐标系 column gave it.
    """
    rows = frame["source_row"].to_numpy()
    x = frame["lon"].to_numpy(dtype="float64", na_value=np.nan).copy()
    y = frame["lat"].to_numpy(dtype="float64", na_value=np.nan).copy()
    both_missing = np.isnan(x) & np.isnan(y)
    one_missing = np.isnan(x) ^ np.isnan(y)
    for i in np.flatnonzero(both_missing):
        log.add("no_coordinates", layer=layer, file=file, row=rows[i], field="lon")
    for i in np.flatnonzero(one_missing):
        log.add("bad_coordinates", layer=layer, file=file, row=rows[i], field="lon",
                lon=_txt(x[i]), lat=_txt(y[i]))
    valid = ~(np.isnan(x) | np.isnan(y))

    geographic = _looks_geographic(x[valid], y[valid])
    default = declared
    guess = None
    if default is None and valid.any():
        if geographic:
            default = "EPSG:4326"
            if frame["coord_system"].isna().all():
                guess = crs_mod.CrsGuess(default)
                log.add("crs_guessed", layer=layer, file=file, field="lon",
                        crs="WGS-84 经纬度（EPSG:4326）")
        else:
            guess = crs_mod.CrsGuess.from_candidates(
                crs_mod.guess_crs_candidates(x[valid], y[valid], metric_crs))
            default = guess.token
            log.add("crs_guessed", layer=layer, file=file, field="lon", crs=guess.describe())
    default = default or "EPSG:4326"

    tokens = _row_tokens(frame, default, log, layer, file)
    is_geo = np.array([_is_geographic_token(t) for t in tokens])

    if (valid & is_geo).any():
        x, y = _fix_swaps(x, y, valid & is_geo, rows, log, layer, file)
        out_of_range = valid & is_geo & ~(
            (x >= CHINA_LON[0]) & (x <= CHINA_LON[1]) & (y >= CHINA_LAT[0]) & (y <= CHINA_LAT[1])
        )
        for i in np.flatnonzero(out_of_range):
            log.add("bad_coordinates", layer=layer, file=file, row=rows[i], field="lon",
                    lon=_txt(x[i]), lat=_txt(y[i]))
        valid &= ~out_of_range

    lon = np.full(len(x), np.nan)
    lat = np.full(len(x), np.nan)
    used = sorted({t for t, v in zip(tokens, valid, strict=True) if v})
    for token in used:
        sel = valid & (tokens == token)
        lon[sel], lat[sel] = crs_mod.to_wgs84(x[sel], y[sel], token)
    geoms = np.full(len(x), None, dtype=object)
    ok = valid & np.isfinite(lon) & np.isfinite(lat)
    geoms[ok] = shapely.points(lon[ok], lat[ok])
    label = " + ".join(_label(t) for t in used) if used else _label(default)
    return gpd.GeoSeries(geoms, crs=STORAGE_CRS), label, guess


def _label(token: str) -> str:
    return token if token in ("GCJ-02", "BD-09") else crs_mod.describe_crs(token)


def _txt(v: float) -> str:
    return "空" if np.isnan(v) else f"{v:g}"


def _looks_geographic(x: np.ndarray, y: np.ndarray) -> bool:
    if len(x) == 0:
        return True
    inside = (np.abs(x) <= 180) & (np.abs(y) <= 180)
    return bool(inside.mean() >= 0.5)


def _is_geographic_token(token: str) -> bool:
    if token in ("GCJ-02", "BD-09", "EPSG:4326", "EPSG:4490"):
        return True
    try:
        import pyproj

        return bool(pyproj.CRS.from_user_input(token).is_geographic)
    except pyproj.exceptions.CRSError:
        return False


def _row_tokens(
    frame: pd.DataFrame, default: str, log: ProblemLog, layer: str, file: str
) -> np.ndarray:
    """CRS token of every row: its 坐标系 cell when given, else the layer default."""
    tokens = np.full(len(frame), default, dtype=object)
    column = frame["coord_system"]
    if column.isna().all():
        return tokens
    rows = frame["source_row"].to_numpy()
    for text in column.dropna().unique():
        sel = (column == text).to_numpy()
        try:
            tokens[sel] = crs_mod.parse_crs(str(text))
        except ConfigError:
            for i in np.flatnonzero(sel):
                log.add("unknown_coord_system", layer=layer, file=file, row=rows[i],
                        field="coord_system", value=text, crs=_label(default))
    return tokens


def _fix_swaps(
    x: np.ndarray,
    y: np.ndarray,
    candidates: np.ndarray,
    rows: np.ndarray,
    log: ProblemLog,
    layer: str,
    file: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Swap lon/lat where only the swapped reading is a place in China; report it."""
    x, y = x.copy(), y.copy()
    swapped = candidates & crs_mod.detect_swapped(x, y)
    if not swapped.any():
        return x, y
    if swapped.sum() > 0.5 * candidates.sum():
        log.add("swapped_columns", layer=layer, file=file, field="lon", count=int(swapped.sum()))
    else:
        for i in np.flatnonzero(swapped):
            log.add("swapped_lonlat", layer=layer, file=file, row=rows[i], field="lon",
                    lon=_txt(x[i]), lat=_txt(y[i]))
    x[swapped], y[swapped] = y[swapped], x[swapped].copy()
    return x, y
