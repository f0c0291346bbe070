"""Turn a canonical layer into the small, safe frame a folium GeoJson layer gets.

Only the columns a tooltip or popup shows are sent, every text is HTML-escaped
(folium puts tooltip and popup values into ``innerHTML``), and coordinates are
rounded: five decimals of a degree are about one metre, finer than any zoom
the dashboard draws at, and keep the page small.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping
from numbers import Real

import geopandas as gpd
import numpy as np
import shapely

STORAGE_CRS = "EPSG:4326"
"""CRS the maps draw in (Leaflet's lon/lat)."""

COORD_DECIMALS = 5
"""Decimals of a degree kept in drawn coordinates (about 1 m)."""

MISSING_TEXT = "—"
"""What a tooltip shows for an empty value."""

Formatter = Callable[[object], str]


def is_missing(value: object) -> bool:
    """Whether ``value`` is empty (``None``, NaN, ``pd.NA`` or a blank string)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(value != value)  # NaN and pd.NA
    except TypeError:
        return True


def escape_text(value: object) -> str:
    """Plain text of ``value``, HTML-escaped, ready for ``innerHTML``.

    Examples
    --------
    >>> escape_text("<img src=x onerror=alert(1)>")
    '&lt;img src=x onerror=alert(1)&gt;'
    >>> escape_text(None)
    '—'
    """
    if is_missing(value):
        return MISSING_TEXT
    return html.escape(str(value).strip(), quote=True)


def format_count(value: object, unit: str = "") -> str:
    """Format a count with thousands separators and a unit, or the missing mark.

    Examples
    --------
    >>> format_count(123456.0, "人")
    '123,456 人'
    >>> format_count(float("nan"), "人")
    '—'
    """
    if is_missing(value) or not isinstance(value, Real) or not math.isfinite(float(value)):
        return MISSING_TEXT
    text = f"{round(float(value)):,}"
    return html.escape(f"{text} {unit}".strip())


def round_coordinates(geoms: gpd.GeoSeries, decimals: int = COORD_DECIMALS) -> gpd.GeoSeries:
    """Round every vertex to ``decimals`` places; returns a new series.

    Unlike :func:`shapely.set_precision` this keeps every vertex and never
    drops a small polygon; a display-only copy may be slightly invalid, which
    Leaflet does not mind.
    """
    rounded = shapely.transform(
        geoms.to_numpy(), lambda coords: np.round(coords, decimals)
    )
    return gpd.GeoSeries(rounded, index=geoms.index, crs=geoms.crs)


def to_storage_crs(frame: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    """Return ``frame`` in EPSG:4326 (a reprojected copy when it is not).

    Raises
    ------
    ValueError
        ``frame`` has no CRS: the maps do not guess one.
    """
    if frame.crs is None:
        msg = f"{what} has no CRS; set one with `set_crs()` before drawing it"
        raise ValueError(msg)
    if frame.crs.to_epsg() == 4326:
        return frame
    return frame.to_crs(STORAGE_CRS)


def display_frame(
    frame: gpd.GeoDataFrame,
    formatters: Mapping[str, Formatter],
    *,
    what: str,
    decimals: int = COORD_DECIMALS,
) -> gpd.GeoDataFrame:
    """Build the frame a GeoJson layer draws: shown columns as escaped text, rounded geometry.

    Parameters
    ----------
    frame
        Canonical layer (any CRS; reprojected on a copy).
    formatters
        Column → function giving its HTML-safe text.  A column missing from
        ``frame`` shows as the missing mark.
    what
        Name of the layer in error messages.
    decimals
        Decimals of a degree kept.

    Returns
    -------
    geopandas.GeoDataFrame
        New frame in EPSG:4326 with the ``formatters`` columns (all ``str``)
        and the geometry; rows without geometry are left out.

    Raises
    ------
    ValueError
        ``frame`` has no CRS.
    """
    frame = to_storage_crs(frame, what)
    geoms = frame.geometry
    keep = ~(geoms.isna() | geoms.is_empty)
    frame = frame.loc[keep]
    data = {
        column: (
            [fmt(v) for v in frame[column]]
            if column in frame.columns
            else [MISSING_TEXT] * len(frame)
        )
        for column, fmt in formatters.items()
    }
    return gpd.GeoDataFrame(
        data,
        geometry=round_coordinates(frame.geometry, decimals),
        crs=STORAGE_CRS,
        index=frame.index,
    )

